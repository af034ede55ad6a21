/**
 * Zipkin's v2 query API. Span times are µs, but the search takes endTs and lookback in ms, so a µs window is
 * widened outward to whole milliseconds (the poller dedupes what the widening adds). /traces answers a
 * list of traces, each a list of spans.
 */
import type { Trace } from '../trace/trace.js';
import { jsonBody } from './http.js';
import { keepUnseen, parseTraceDocument, parseTraces, pickTrace } from './payload.js';
import type { SearchQuery, SearchResult, SourceOptions } from './source.js';
import { HttpSource } from './http-source.js';

export class ZipkinSource extends HttpSource {
  readonly kind = 'zipkin' as const;
  protected readonly tracePath = 'zipkin/traces';

  constructor(opts: SourceOptions) {
    super(opts, 'zipkin');
  }

  async services(): Promise<string[]> {
    const res = await this.http.get(this.http.url('api/v2/services'));
    if (res.status !== 200) throw this.http.statusError(res);
    const doc = jsonBody(res);
    return Array.isArray(doc) ? doc.filter((s): s is string => typeof s === 'string') : [];
  }

  async search(q: SearchQuery): Promise<SearchResult> {
    const endMs = Math.ceil(q.endUs / 1000);
    const startMs = Math.floor(q.startUs / 1000);
    const url = this.http.url('api/v2/traces', {
      serviceName: q.service,
      endTs: endMs,
      lookback: Math.max(1, endMs - startMs),
      limit: q.limit,
    });
    const res = await this.http.get(url);
    if (res.status !== 200) throw this.http.statusError(res);
    const doc = jsonBody(res);
    const traces = Array.isArray(doc) ? (doc as unknown[]) : [];
    const raw = traces.length;
    if (q.useful && !q.useful(raw)) return { traces: [], raw, skipped: 0, warnings: [] };
    // Each trace is a list of spans that share its id.
    const idOf = (t: unknown) => (Array.isArray(t) ? (t[0] as { traceId?: unknown })?.traceId : undefined);
    const { kept, known } = await keepUnseen(traces, idOf, q.unseen);
    if (kept.length === 0) return { traces: [], raw, known, skipped: 0, warnings: [] };
    return { ...parseTraceDocument(res, kept, 'zipkin-v2'), raw, known };
  }

  async trace(id: string): Promise<Trace | undefined> {
    const res = await this.http.get(this.http.url(`api/v2/trace/${encodeURIComponent(id)}`));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.http.statusError(res);
    const doc = jsonBody(res);
    if (!Array.isArray(doc) || doc.length === 0) return undefined;
    return pickTrace(parseTraces(res, 'zipkin-v2').traces, id);
  }
}
