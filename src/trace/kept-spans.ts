import type { Span } from './span.js';
import { buildTrace, type Trace } from './trace.js';

/** What an anomaly keeps of each span (the API's CompactSpanSchema): enough for the tree and its timing. */
export interface KeptSpan {
  spanId: string;
  parentId?: string;
  service: string;
  operation: string;
  instance?: string;
  start: number;
  duration: number;
  error: boolean;
}

/**
 * The trace again from the spans an anomaly kept, so that call paths and self times can be measured on it
 * as on the original. Kept spans were normalized before they were stored (unique ids, no cycles), so the
 * tree is built straight away: the adjusters would change nothing. Kinds, attributes and events were not
 * kept; call paths, self times and the critical path do not read them.
 */
export function traceOfKeptSpans(traceId: string, kept: readonly KeptSpan[]): Trace {
  const spans = kept.map((k): Span => ({
    traceId,
    spanId: k.spanId,
    ...(k.parentId ? { parentId: k.parentId } : {}),
    service: k.service,
    operation: k.operation,
    kind: 'internal',
    start: k.start,
    duration: k.duration,
    error: k.error,
    ...(k.instance ? { instance: k.instance } : {}),
    attributes: {},
    resource: {},
    events: 0,
  }));
  return buildTrace(traceId, spans);
}
