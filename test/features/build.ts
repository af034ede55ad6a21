import type { RawSpan, SpanKind } from '../../src/trace/span.js';
import { normalizeTrace, type NormalizeOptions } from '../../src/trace/normalize.js';
import type { Trace } from '../../src/trace/trace.js';
import { parseEndpointKey } from '../../src/trace/endpoint-key.js';

export const TRACE_ID = '0000000000000000000000000000abcd';

/** Span id `n` as 16 hex digits, so tests can name spans by small numbers. */
export const sid = (n: number): string => n.toString(16).padStart(16, '0');

export interface SpanSpec {
  id: number;
  parent?: number;
  /** `service:operation` */
  op: string;
  start: number;
  duration: number;
  kind?: SpanKind;
  error?: boolean;
  instance?: string;
  version?: string;
}

export function raw(s: SpanSpec): RawSpan {
  const { service, operation } = parseEndpointKey(s.op) ?? { service: s.op, operation: '' };
  return {
    traceId: TRACE_ID,
    spanId: sid(s.id),
    parentId: s.parent === undefined ? undefined : sid(s.parent),
    service,
    operation,
    kind: s.kind ?? 'internal',
    start: s.start,
    duration: s.duration,
    error: s.error ?? false,
    attributes: {},
    resource: s.version === undefined ? {} : { 'service.version': s.version },
    events: 0,
    instance: s.instance,
  };
}

/** Hand-built traces keep their times as written: clock-skew correction would move overflowing children. */
export function build(specs: SpanSpec[], opts: NormalizeOptions = { clockSkew: false }): Trace {
  return normalizeTrace(TRACE_ID, specs.map(raw), opts);
}

/** Index in trace.spans of the span built from spec id `n`. */
export function at(trace: Trace, n: number): number {
  const i = trace.spans.findIndex((s) => s.spanId === sid(n));
  if (i < 0) throw new Error(`span ${n} not in trace`);
  return i;
}
