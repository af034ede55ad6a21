/**
 * Jaeger's legacy HTTP query API (/api/services, /api/traces), the one every released Jaeger serves and the
 * UI reads. Times are µs; answers come in the {"data":..., "errors":...} envelope.
 */
import type { Trace } from '../trace/trace.js';
import { HttpClient, jsonBody, type HttpResponse } from './http.js';
import { splitJaegerV1 } from './jaeger-v1-split.js';
import { keepUnseen, parseTraceDocument, parseTraces, pickTrace } from './payload.js';
import type { SearchQuery, SearchResult, SourceOptions } from './source.js';
import { HttpSource } from './http-source.js';

interface Envelope {
  data?: unknown;
  errors?: { code?: number; msg?: string }[] | null;
}

/** The envelope's error messages, joined the way the Jaeger UI shows them. */
function errorsOf(doc: unknown): string | undefined {
  const errs = (doc as Envelope | null)?.errors;
  if (!Array.isArray(errs) || errs.length === 0) return undefined;
  return errs.map((e) => e?.msg ?? JSON.stringify(e)).join('; ');
}

function envelopeError(http: HttpClient, res: HttpResponse) {
  let msg: string | undefined;
  try {
    msg = errorsOf(JSON.parse(res.body.toString('utf8')));
  } catch {
    // Not the envelope (a proxy's HTML page, say): the raw text is the best we have.
  }
  return http.statusError(res, msg);
}

export class JaegerV1Source extends HttpSource {
  readonly kind = 'jaeger-v1' as const;
  protected readonly tracePath = 'trace';

  constructor(opts: SourceOptions) {
    super(opts, 'jaeger-v1');
  }

  async services(): Promise<string[]> {
    const res = await this.http.get(this.http.url('api/services'));
    if (res.status !== 200) throw envelopeError(this.http, res);
    const doc = jsonBody(res) as Envelope;
    const errs = errorsOf(doc);
    if (errs) throw this.http.statusError(res, errs);
    return Array.isArray(doc?.data) ? doc.data.filter((s): s is string => typeof s === 'string') : [];
  }

  async search(q: SearchQuery): Promise<SearchResult> {
    const url = this.http.url('api/traces', {
      service: q.service,
      start: Math.floor(q.startUs),
      end: Math.ceil(q.endUs),
      limit: q.limit,
    });
    const res = await this.http.get(url);
    if (res.status !== 200) throw envelopeError(this.http, res);
    const fast = q.unseen ? await this.searchSplit(res, q.unseen, q.useful) : undefined;
    if (fast) return fast;
    const doc = jsonBody(res) as Envelope;
    // A 200 with errors is a partial answer (some storage shards failed): keep what came, say so.
    const errs = errorsOf(doc);
    const data = Array.isArray(doc?.data) ? (doc.data as unknown[]) : [];
    const raw = data.length;
    if (q.useful && !q.useful(raw)) return { traces: [], raw, skipped: 0, warnings: errs ? [errs] : [] };
    const { kept, known } = await keepUnseen(data, (t) => (t as { traceID?: unknown })?.traceID, q.unseen);
    if (kept.length === 0) return { traces: [], raw, known, skipped: 0, warnings: errs ? [errs] : [] };
    // The document is parsed once, here; the reader gets the records still wanted.
    const parsed = parseTraceDocument(res, { ...doc, data: kept }, 'jaeger-v1');
    return { ...parsed, raw, known, warnings: errs ? [errs, ...parsed.warnings] : parsed.warnings };
  }

  /**
   * The same answer, with the traces already handed on dropped before anything is parsed (see
   * splitJaegerV1); undefined when the answer is not laid out as Jaeger writes it, for the full parse.
   */
  private async searchSplit(
    res: HttpResponse,
    unseen: (ids: string[]) => Promise<string[]>,
    useful: SearchQuery['useful'],
  ): Promise<SearchResult | undefined> {
    const split = splitJaegerV1(res.body);
    if (!split) return undefined;
    if (useful && !useful(split.records.length))
      return { traces: [], raw: split.records.length, skipped: 0, warnings: [] };
    let envelope: Envelope;
    let data: unknown[];
    const { kept, known } = await keepUnseen(split.records, (r) => r.traceId, unseen);
    try {
      envelope = JSON.parse(split.envelope) as Envelope;
      data = kept.length
        ? (JSON.parse(
            `[${kept.map((r) => res.body.toString('utf8', r.start, r.end)).join(',')}]`,
          ) as unknown[])
        : [];
    } catch {
      return undefined;
    }
    // A record holding two traces (the second without spans, so unmatched) is not the layout assumed.
    if (data.length !== kept.length) return undefined;
    const errs = errorsOf(envelope);
    const raw = split.records.length;
    if (kept.length === 0) return { traces: [], raw, known, skipped: 0, warnings: errs ? [errs] : [] };
    const parsed = parseTraceDocument(res, { ...envelope, data }, 'jaeger-v1');
    return { ...parsed, raw, known, warnings: errs ? [errs, ...parsed.warnings] : parsed.warnings };
  }

  async trace(id: string): Promise<Trace | undefined> {
    const res = await this.http.get(this.http.url(`api/traces/${encodeURIComponent(id)}`));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw envelopeError(this.http, res);
    const doc = jsonBody(res) as Envelope;
    if (!Array.isArray(doc?.data) || doc.data.length === 0) return undefined;
    return pickTrace(parseTraces(res, 'jaeger-v1').traces, id);
  }
}
