/**
 * Writes spans as OTLP JSON (ExportTraceServiceRequest / TracesData): one resourceSpans entry per service
 * instance, hex ids, nanosecond times as decimal strings, int64 attributes as strings, enums as integers.
 */
import type { AttributeValue, Attributes, Span } from '../../trace/span.js';

export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpSpanOut {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  events?: { timeUnixNano: string; name: string }[];
  links?: { traceId: string; spanId: string }[];
  status: { code?: number; message?: string };
}

export interface OtlpResourceSpansOut {
  resource: { attributes: OtlpKeyValue[] };
  scopeSpans: { scope: { name: string; version?: string }; spans: OtlpSpanOut[] }[];
}

export interface OtlpDocument {
  resourceSpans: OtlpResourceSpansOut[];
}

const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
const SCOPE = { name: 'tracehound-sim', version: '0.1.0' };

export function otlpValue(v: AttributeValue): OtlpAnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { arrayValue: { values: v.map(otlpValue) } };
}

export function otlpAttributes(a: Attributes): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  for (const k in a) out.push({ key: k, value: otlpValue(a[k]) });
  return out;
}

/** µs to ns as a decimal string without going through a float beyond 2^53. */
function nanos(us: number): string {
  return us === 0 ? '0' : `${us}000`;
}

export function toOtlpSpan(s: Span): OtlpSpanOut {
  const out: OtlpSpanOut = {
    traceId: s.traceId,
    spanId: s.spanId,
    name: s.operation,
    kind: KIND[s.kind],
    startTimeUnixNano: nanos(s.start),
    endTimeUnixNano: nanos(s.start + s.duration),
    attributes: otlpAttributes(s.attributes),
    status: s.error
      ? { code: 2, ...(s.statusMessage !== undefined ? { message: s.statusMessage } : {}) }
      : {},
  };
  if (s.parentId !== undefined) out.parentSpanId = s.parentId;
  if (s.events > 0) {
    out.events = [];
    for (let i = 0; i < s.events; i++)
      out.events.push({ timeUnixNano: nanos(s.start + s.duration), name: s.error ? 'exception' : 'event' });
  }
  if (s.links?.length) out.links = s.links.map((l) => ({ traceId: s.traceId, spanId: l }));
  return out;
}

/** Spans grouped by service and instance into resourceSpans, first-seen order. */
export function toOtlpResourceSpans(spans: Span[]): OtlpResourceSpansOut[] {
  const groups = new Map<string, OtlpResourceSpansOut>();
  for (const s of spans) {
    const key = `${s.service}\u0000${s.instance ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      const attrs: Attributes = { ...s.resource, 'service.name': s.service };
      if (s.instance !== undefined && attrs['service.instance.id'] === undefined)
        attrs['service.instance.id'] = s.instance;
      g = { resource: { attributes: otlpAttributes(attrs) }, scopeSpans: [{ scope: SCOPE, spans: [] }] };
      groups.set(key, g);
    }
    g.scopeSpans[0].spans.push(toOtlpSpan(s));
  }
  return [...groups.values()];
}

export function toOtlpDocument(spans: Span[]): OtlpDocument {
  return { resourceSpans: toOtlpResourceSpans(spans) };
}
