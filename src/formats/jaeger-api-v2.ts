import type { AttributeValue, Attributes, RawSpan, SpanKind } from '../trace/span.js';
import { base64ToHex, isZeroId, normalizeSpanId, normalizeTraceId } from '../trace/ids.js';
import type { JsonFormat, SpanSink } from './types.js';
import { int64Value, isObject, textOf } from './json-util.js';

/**
 * Jaeger's api_v2 model as proto-JSON (what the gRPC QueryService carries, and what `jaeger-query` tools dump):
 * `{"spans":[...], "processMap":[...]}` with base64 ids, RFC 3339 start times, Go duration strings ("5000ns")
 * and `vType`-tagged values. References without `refType` are CHILD_OF (the enum's zero value is omitted).
 */

const UNIT_US: Record<string, number> = { ns: 1e-3, us: 1, µs: 1, ms: 1e3, s: 1e6, m: 6e7, h: 3.6e9 };

/** Go duration strings ("5000ns", "1.5s", "1m30s") and protobuf's "0.000005s", in µs. */
export function parseGoDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return v / 1000; // a bare number is nanoseconds in proto-JSON's int form
  if (typeof v !== 'string' || v === '') return undefined;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * UNIT_US[m[2]];
    end = re.lastIndex;
  }
  return end === v.length ? Math.round(total) : undefined;
}

/** RFC 3339 with up to nanosecond fractions and any offset, in µs since the epoch. */
export function parseRfc3339Micros(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(v);
  if (!m) return undefined;
  const secondsMs = Date.parse(m[1] + (m[3].toUpperCase() === 'Z' ? 'Z' : m[3]));
  if (!Number.isFinite(secondsMs)) return undefined;
  const micros = m[2] ? Number((m[2] + '000000').slice(0, 6)) : 0;
  return secondsMs * 1000 + micros;
}

function id(raw: unknown, width: 16 | 32): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const hex = /^[A-Za-z0-9+/]+=*$/.test(raw) && raw.length % 4 === 0 ? base64ToHex(raw) : raw;
  return width === 32 ? normalizeTraceId(hex) : normalizeSpanId(hex);
}

function kv(tag: Record<string, unknown>): AttributeValue | undefined {
  switch (tag.vType ?? 'STRING') {
    case 'STRING':
      return typeof tag.vStr === 'string' ? tag.vStr : '';
    case 'BOOL':
      return tag.vBool === true || tag.vBool === 'true';
    case 'INT64':
      return int64Value(tag.vInt64) ?? 0;
    case 'FLOAT64':
      return typeof tag.vFloat64 === 'number' ? tag.vFloat64 : Number(tag.vFloat64 ?? 0);
    case 'BINARY':
      return typeof tag.vBinary === 'string' ? tag.vBinary : '';
  }
  return undefined;
}

function tags(list: unknown): Attributes {
  const out: Attributes = {};
  if (!Array.isArray(list)) return out;
  for (const t of list) {
    if (!isObject(t) || typeof t.key !== 'string') continue;
    const v = kv(t);
    if (v !== undefined) out[t.key] = v;
  }
  return out;
}

const KINDS = new Set<string>(['server', 'client', 'producer', 'consumer', 'internal']);

function readSpan(
  s: unknown,
  processes: Map<string, Record<string, unknown>>,
  sink: SpanSink,
  where: string,
): void {
  if (!isObject(s)) return sink.skip(where, 'span is not an object');
  const traceId = id(s.traceId, 32);
  const spanId = id(s.spanId, 16);
  if (!traceId || !spanId)
    return sink.skip(where, `bad traceId/spanId ${JSON.stringify([s.traceId, s.spanId])}`);
  const start = parseRfc3339Micros(s.startTime);
  const duration = parseGoDuration(s.duration);
  if (s.startTime !== undefined && start === undefined)
    return sink.skip(where, `startTime ${JSON.stringify(s.startTime)} is not RFC 3339`);
  let parentId: string | undefined;
  let followsFrom: string | undefined;
  const links: string[] = [];
  if (Array.isArray(s.references)) {
    for (const r of s.references) {
      if (!isObject(r)) continue;
      const rid = id(r.spanId, 16);
      if (!rid || isZeroId(rid)) continue;
      const sameTrace = id(r.traceId, 32) === traceId;
      const childOf = r.refType === undefined || r.refType === 'CHILD_OF' || r.refType === 0;
      if (childOf && sameTrace && parentId === undefined) parentId = rid;
      else {
        if (!childOf && sameTrace && followsFrom === undefined) followsFrom = rid;
        links.push(rid);
      }
    }
  }
  parentId ??= followsFrom;
  const process = isObject(s.process) ? s.process : processes.get(textOf(s.processId ?? ''));
  const attributes = tags(s.tags);
  const resource = tags(process?.tags);
  const kindTag = attributes['span.kind'];
  const span: RawSpan = {
    traceId,
    spanId,
    parentId,
    service:
      typeof process?.serviceName === 'string' && process.serviceName ? process.serviceName : 'unknown',
    operation: typeof s.operationName === 'string' ? s.operationName : '',
    kind: typeof kindTag === 'string' && KINDS.has(kindTag) ? (kindTag as SpanKind) : 'internal',
    start,
    duration,
    error: attributes.error === true || attributes.error === 'true',
    attributes,
    resource,
    events: Array.isArray(s.logs) ? s.logs.length : 0,
  };
  const host = resource.hostname ?? resource.ip ?? resource['host.name'];
  if (typeof host === 'string' || typeof host === 'number') span.instance = textOf(host);
  if (links.length) span.links = links;
  if (Array.isArray(s.warnings)) for (const w of s.warnings) sink.warn(`span ${spanId}: ${textOf(w)}`);
  sink.span(span);
}

export const jaegerApiV2: JsonFormat = {
  name: 'jaeger-api-v2',
  matches(doc) {
    if (!isObject(doc) || !Array.isArray(doc.spans)) return false;
    const first = doc.spans[0];
    return (
      isObject(first) &&
      'operationName' in first &&
      !('traceID' in first) &&
      typeof first.startTime === 'string'
    );
  },
  read(doc, sink, where) {
    if (!isObject(doc) || !Array.isArray(doc.spans)) return sink.skip(where, 'expected {"spans": [...]}');
    const processes = new Map<string, Record<string, unknown>>();
    if (Array.isArray(doc.processMap))
      for (const p of doc.processMap)
        if (isObject(p) && typeof p.processId === 'string' && isObject(p.process))
          processes.set(p.processId, p.process);
    if (Array.isArray(doc.warnings)) for (const w of doc.warnings) sink.warn(textOf(w));
    doc.spans.forEach((s, i) => readSpan(s, processes, sink, `${where}.spans[${i}]`));
  },
};
