import {
  SourceError,
  type SearchQuery,
  type SearchResult,
  type TraceSource,
} from '../../src/sources/index.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { Trace } from '../../src/trace/trace.js';

export interface StubTrace {
  traceId: string;
  service: string;
  start: number;
}

/**
 * A backend in memory that answers searches the way Jaeger does: traces with a span of the service
 * starting in [start, end], newest first, at most `limit`. Failures can be scheduled per call.
 */
export class StubSource implements TraceSource {
  readonly kind = 'jaeger-v1' as const;
  traces: StubTrace[] = [];
  queries: SearchQuery[] = [];
  serviceCalls = 0;
  serviceList: string[] = [];
  /** Traces turned into Trace objects (not dropped as already handed on). */
  read = 0;
  /** Called before each search; throw to fail it. */
  failWhen: (q: SearchQuery, n: number) => Error | undefined = () => undefined;

  constructor(readonly name = 'stub') {}

  add(service: string, start: number, traceId = (this.traces.length + 1).toString(16).padStart(32, '0')) {
    this.traces.push({ traceId, service, start });
    return traceId;
  }

  async services(): Promise<string[]> {
    this.serviceCalls++;
    return this.serviceList;
  }

  async search(q: SearchQuery): Promise<SearchResult> {
    this.queries.push(q);
    const err = this.failWhen(q, this.queries.length);
    if (err) throw err;
    const hits = this.traces
      .filter((t) => t.service === q.service && t.start >= q.startUs && t.start <= q.endUs)
      .sort((a, b) => b.start - a.start)
      .slice(0, q.limit);
    // As the HTTP sources do: an answer the poller will split is not read, and traces it has handed on
    // already are dropped before they are read.
    if (q.useful && !q.useful(hits.length)) return { traces: [], raw: hits.length, skipped: 0, warnings: [] };
    const wanted = q.unseen ? new Set(await q.unseen(hits.map((t) => t.traceId))) : undefined;
    const kept = wanted ? hits.filter((t) => wanted.has(t.traceId)) : hits;
    this.read += kept.length;
    return {
      traces: kept.map(toTrace),
      raw: hits.length,
      known: hits.length - kept.length,
      skipped: 0,
      warnings: [],
    };
  }

  async trace(id: string): Promise<Trace | undefined> {
    const t = this.traces.find((x) => x.traceId === id);
    return t && toTrace(t);
  }

  link(): string | undefined {
    return undefined;
  }

  async close(): Promise<void> {}
}

function toTrace(t: StubTrace): Trace {
  return normalizeTrace(t.traceId, [
    {
      traceId: t.traceId,
      spanId: t.traceId.slice(16),
      service: t.service,
      operation: 'op',
      kind: 'server',
      start: t.start,
      duration: 1000,
      error: false,
      attributes: {},
      resource: {},
      events: 0,
    },
  ]);
}

export const backendDown = () =>
  new SourceError('GET http://stub/api/traces: HTTP 503: down', 'http://stub/api/traces', 503, true);
export const badRequest = () =>
  new SourceError('GET http://stub/api/traces: HTTP 400: bad', 'http://stub/api/traces', 400, false);
