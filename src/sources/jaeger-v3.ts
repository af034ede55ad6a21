/**
 * Jaeger's api_v3 HTTP gateway: OTLP-shaped traces in {"result":...}. Query names are sent in snake_case,
 * which both old servers (only snake_case) and current ones accept; times are RFC 3339 with nanoseconds.
 * A search that finds nothing is a 404 "No traces found", not an empty list.
 */
import type { Trace } from '../trace/trace.js';
import { jsonBody, type HttpResponse } from './http.js';
import { parseTraces, pickTrace } from './payload.js';
import type { SearchQuery, SearchResult, SourceOptions } from './source.js';
import { HttpSource } from './http-source.js';

/** µs since the epoch as RFC 3339 with nine fraction digits, the precision the gateway parses. */
export function rfc3339Nanos(us: number): string {
  const t = Math.floor(us);
  const ms = Math.floor(t / 1000);
  const iso = new Date(ms).toISOString();
  const fracUs = t - Math.floor(t / 1e6) * 1e6;
  return `${iso.slice(0, 19)}.${String(fracUs).padStart(6, '0')}000Z`;
}

/** The lines of a body: a streamed FindTraces answer is one {"result":...} or {"error":...} per line. */
function documents(res: HttpResponse): unknown[] {
  const text = res.body.toString('utf8').trim();
  if (text === '') return [];
  try {
    return [JSON.parse(text)];
  } catch {
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => jsonBody({ ...res, body: Buffer.from(l) }));
  }
}

function errorMessage(doc: unknown): string | undefined {
  const e = (doc as { error?: { message?: unknown } } | null)?.error;
  if (!e || typeof e !== 'object') return undefined;
  return typeof e.message === 'string' ? e.message : JSON.stringify(e);
}

const NOT_FOUND = /no traces? found|trace not found/i;

/** Distinct trace ids in OTLP resourceSpans: what the server returned, before any reading. */
function countTraces(docs: unknown[]): number {
  const ids = new Set<string>();
  for (const doc of docs) {
    const rs = (doc as { result?: { resourceSpans?: unknown } } | null)?.result?.resourceSpans;
    if (!Array.isArray(rs)) continue;
    for (const r of rs)
      for (const ss of (r as { scopeSpans?: unknown[] })?.scopeSpans ?? [])
        for (const s of (ss as { spans?: unknown[] })?.spans ?? []) {
          const id = (s as { traceId?: unknown })?.traceId;
          if (typeof id === 'string') ids.add(id.toLowerCase());
        }
  }
  return ids.size;
}

export class JaegerV3Source extends HttpSource {
  readonly kind = 'jaeger-v3' as const;
  protected readonly tracePath = 'trace';

  constructor(opts: SourceOptions) {
    super(opts, 'jaeger-v3');
  }

  private fail(res: HttpResponse): Error {
    let msg: string | undefined;
    try {
      msg = errorMessage(JSON.parse(res.body.toString('utf8')));
    } catch {
      // Plain text (a proxy, or Go's "404 page not found" from a Jaeger without api_v3).
    }
    if (res.status === 404 && !msg)
      msg = `${res.body.toString('utf8', 0, 200).trim()} (does this Jaeger serve api_v3? try the v1 API)`;
    return this.http.statusError(res, msg);
  }

  private isGatewayError(res: HttpResponse): boolean {
    try {
      return errorMessage(JSON.parse(res.body.toString('utf8'))) !== undefined;
    } catch {
      return false;
    }
  }

  async services(): Promise<string[]> {
    const res = await this.http.get(this.http.url('api/v3/services'));
    if (res.status !== 200) throw this.fail(res);
    const doc = jsonBody(res) as { services?: unknown };
    return Array.isArray(doc?.services) ? doc.services.filter((s): s is string => typeof s === 'string') : [];
  }

  async search(q: SearchQuery): Promise<SearchResult> {
    const url = this.http.url('api/v3/traces', {
      'query.service_name': q.service,
      'query.start_time_min': rfc3339Nanos(q.startUs),
      'query.start_time_max': rfc3339Nanos(Math.ceil(q.endUs)),
      // num_traces is the old name, search_depth the current one; each server ignores the one it lacks.
      'query.num_traces': q.limit,
      'query.search_depth': q.limit,
    });
    const res = await this.http.get(url);
    const empty: SearchResult = { traces: [], raw: 0, skipped: 0, warnings: [] };
    if (res.status === 404) {
      let msg: string | undefined;
      try {
        msg = errorMessage(JSON.parse(res.body.toString('utf8')));
      } catch {
        msg = undefined;
      }
      if (msg && NOT_FOUND.test(msg)) return empty;
      throw this.fail(res);
    }
    if (res.status !== 200) throw this.fail(res);
    const docs = documents(res);
    // A stream that failed after it began carries the error in-band, after a 200.
    const errs = docs.map(errorMessage).filter((m): m is string => m !== undefined);
    const realErrs = errs.filter((m) => !NOT_FOUND.test(m));
    const raw = countTraces(docs);
    if (realErrs.length > 0 && raw === 0) throw this.http.statusError(res, realErrs.join('; '));
    if (raw === 0) return empty;
    const parsed = parseTraces(res, 'jaeger-v3');
    return { ...parsed, raw, warnings: [...realErrs, ...parsed.warnings] };
  }

  async trace(id: string): Promise<Trace | undefined> {
    const res = await this.http.get(this.http.url(`api/v3/traces/${encodeURIComponent(id)}`));
    // Only the gateway's own {"error":...} 404 means "no such trace"; a bare 404 means no api_v3 here.
    if (res.status === 404 && this.isGatewayError(res)) return undefined;
    if (res.status !== 200) throw this.fail(res);
    const docs = documents(res);
    if (countTraces(docs) === 0) return undefined;
    return pickTrace(parseTraces(res, 'jaeger-v3').traces, id);
  }
}
