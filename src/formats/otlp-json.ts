import type { Attributes, RawSpan, SpanKind } from '../trace/span.js';
import { base64ToHex, isZeroId } from '../trace/ids.js';
import type { JsonFormat, SpanSink } from './types.js';
import { isObject } from './json-util.js';
import { fastSpanId, fastTraceId } from './jaeger-v1.js';
import { readKeyValues, serviceOfResource } from './otlp-attributes.js';

/**
 * OTLP JSON: ExportTraceServiceRequest / TracesData, `{"resourceSpans":[{resource, scopeSpans:[{scope,
 * spans}]}]}`. Also the pre-1.0 `instrumentationLibrarySpans` key, which old SDKs and collectors still send.
 *
 * The JSON encoding says ids are hex, but some exporters run the generic protobuf JSON mapping and send
 * base64: an id that is not hex but is base64 of exactly 16 (trace) or 8 (span) bytes is accepted.
 */

const KIND_BY_NUMBER: SpanKind[] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];
const KIND_BY_NAME = new Map<string, SpanKind>([
  ['SPAN_KIND_UNSPECIFIED', 'internal'],
  ['SPAN_KIND_INTERNAL', 'internal'],
  ['SPAN_KIND_SERVER', 'server'],
  ['SPAN_KIND_CLIENT', 'client'],
  ['SPAN_KIND_PRODUCER', 'producer'],
  ['SPAN_KIND_CONSUMER', 'consumer'],
]);

function kindOf(v: unknown): SpanKind {
  if (typeof v === 'number') return (Number.isInteger(v) && KIND_BY_NUMBER[v]) || 'internal';
  if (typeof v === 'string')
    return KIND_BY_NAME.get(v) ?? (/^[0-5]$/.test(v) ? KIND_BY_NUMBER[Number(v)] : 'internal');
  return 'internal';
}

const BASE64_16 = /^[A-Za-z0-9+/_-]{22}(==)?$/;
const BASE64_8 = /^[A-Za-z0-9+/_-]{11}=?$/;

/** A trace id as hex, or as base64 of 16 bytes from exporters that use the generic protobuf JSON mapping. */
export function otlpTraceId(raw: unknown): string | undefined {
  const hex = fastTraceId(raw);
  if (hex !== undefined) return hex;
  if (typeof raw === 'string' && BASE64_16.test(raw)) return base64ToHex(raw);
  return undefined;
}

export function otlpSpanId(raw: unknown): string | undefined {
  const hex = fastSpanId(raw);
  if (hex !== undefined) return hex;
  if (typeof raw === 'string' && BASE64_8.test(raw)) return base64ToHex(raw);
  return undefined;
}

const DIGITS = /^\d+$/;

/**
 * `*UnixNano` (a decimal string, or a number from lenient producers) to µs. Epoch nanoseconds exceed 2^53,
 * so a string is cut at its last three digits rather than converted whole. A number above 2^53 has already
 * lost precision; rounding puts it on the nearest µs. Zero means "not set" in proto3.
 */
export function nanosToMicros(v: unknown): number | undefined {
  if (typeof v === 'string') {
    if (v.length > 15 && DIGITS.test(v)) return Number(v.slice(0, -3));
    v = v === '' ? NaN : Number(v);
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
  return Number.isSafeInteger(v) ? Math.floor(v / 1000) : Math.round(v / 1000);
}

/** The message (or type) of a span's first `exception` event; '' for one without either; undefined for none. */
function exceptionOf(events: unknown): string | undefined {
  if (!Array.isArray(events)) return undefined;
  for (const e of events) {
    if (!isObject(e) || e.name !== 'exception') continue;
    const a = readKeyValues(e.attributes, {});
    const m = a['exception.message'] ?? a['exception.type'];
    return typeof m === 'string' ? m : '';
  }
  return undefined;
}

function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === 0 || v === '0' || v === '';
}

interface ResourceInfo {
  service: string;
  resource: Attributes;
  instance?: string;
}

function readResource(r: Record<string, unknown>, sink: SpanSink): ResourceInfo {
  const resource: Attributes = {};
  if (isObject(r.resource)) readKeyValues(r.resource.attributes, resource);
  // No path in the message: it is said once per input, not once per resource.
  return { ...serviceOfResource(resource, (m) => sink.warn(m)), resource };
}

function readSpan(s: unknown, res: ResourceInfo, scope: unknown, sink: SpanSink, path: string): void {
  if (!isObject(s)) {
    sink.skip(path, 'span is not an object');
    return;
  }
  const traceId = otlpTraceId(s.traceId);
  if (traceId === undefined || isZeroId(traceId)) {
    sink.skip(path, `traceId ${JSON.stringify(s.traceId)} is missing or not a hex id`);
    return;
  }
  const spanId = otlpSpanId(s.spanId);
  if (spanId === undefined || isZeroId(spanId)) {
    sink.skip(path, `spanId ${JSON.stringify(s.spanId)} is missing or not a hex id`);
    return;
  }
  let parentId: string | undefined;
  if (s.parentSpanId !== undefined && s.parentSpanId !== '' && s.parentSpanId !== null) {
    parentId = otlpSpanId(s.parentSpanId);
    if (parentId === undefined)
      sink.warn(`${path}: parentSpanId ${JSON.stringify(s.parentSpanId)} is not an id; span read as a root`);
    else if (isZeroId(parentId)) parentId = undefined;
  }
  const start = nanosToMicros(s.startTimeUnixNano);
  const end = nanosToMicros(s.endTimeUnixNano);
  for (const [key, v, us] of [
    ['startTimeUnixNano', s.startTimeUnixNano, start],
    ['endTimeUnixNano', s.endTimeUnixNano, end],
  ] as const) {
    // Absent or zero is proto3's "not set" (left to infer-timing); anything else must be a number.
    if (us === undefined && !isUnset(v)) {
      sink.skip(path, `${key} ${JSON.stringify(v)} is not a number of nanoseconds`, 'time_unreadable');
      return;
    }
  }
  let duration: number | undefined;
  if (start !== undefined && end !== undefined) {
    duration = end - start;
    if (duration < 0) {
      sink.skip(path, `span ${spanId} ends before it starts (${duration} µs)`, 'time_unreadable');
      return;
    }
  }

  const attributes = readKeyValues(s.attributes, {});
  if (isObject(scope) && typeof scope.name === 'string' && scope.name !== '') {
    attributes['otel.scope.name'] = scope.name;
    if (typeof scope.version === 'string' && scope.version !== '')
      attributes['otel.scope.version'] = scope.version;
  }
  let error = false;
  let ok = false;
  let statusMessage: string | undefined;
  const status = s.status;
  if (isObject(status)) {
    error = status.code === 2 || status.code === 'STATUS_CODE_ERROR' || status.code === '2';
    ok = status.code === 1 || status.code === 'STATUS_CODE_OK' || status.code === '1';
    if (typeof status.message === 'string' && status.message !== '') statusMessage = status.message;
  }
  // Status ERROR is the rule; instrumentations that leave it unset still say failure with `error.type`
  // (set only on failure) or an `exception` event. An explicit OK overrides both.
  if (!error && !ok) {
    const exception = exceptionOf(s.events);
    const errorType = attributes['error.type'];
    if (exception !== undefined || (errorType !== undefined && errorType !== '')) {
      error = true;
      statusMessage ??= exception || (typeof errorType === 'string' ? errorType : undefined);
    }
  }
  let links: string[] | undefined;
  if (Array.isArray(s.links)) {
    for (const l of s.links) {
      const id = isObject(l) ? otlpSpanId(l.spanId) : undefined;
      if (id !== undefined && !isZeroId(id)) (links ??= []).push(id);
    }
  }
  const span: RawSpan = {
    traceId,
    spanId,
    parentId,
    service: res.service,
    operation: typeof s.name === 'string' ? s.name : '',
    kind: kindOf(s.kind),
    start,
    duration,
    error,
    statusMessage,
    attributes,
    resource: res.resource,
    events: Array.isArray(s.events) ? s.events.length : 0,
    instance: res.instance,
    links,
  };
  sink.span(span);
}

/** Reads an OTLP `resourceSpans` list; `where` is its JSON path (e.g. `$.result.resourceSpans`). */
export function readResourceSpans(resourceSpans: unknown, sink: SpanSink, where: string): void {
  if (!Array.isArray(resourceSpans)) {
    sink.skip(where, 'resourceSpans is not a list');
    return;
  }
  for (let i = 0; i < resourceSpans.length; i++) {
    const path = `${where}[${i}]`;
    const r = resourceSpans[i];
    if (!isObject(r)) {
      sink.skip(path, 'resourceSpans element is not an object');
      continue;
    }
    const key = r.scopeSpans !== undefined ? 'scopeSpans' : 'instrumentationLibrarySpans';
    const scopes = r[key];
    // An element without any scope list is an empty (valid) export; one of the wrong type is not.
    if (scopes === undefined || scopes === null) continue;
    if (!Array.isArray(scopes)) {
      sink.skip(`${path}.${key}`, `${key} is not a list`);
      continue;
    }
    const res = readResource(r, sink);
    for (let j = 0; j < scopes.length; j++) {
      const sc = scopes[j];
      const scPath = `${path}.${key}[${j}]`;
      if (!isObject(sc)) {
        sink.skip(scPath, 'scope spans element is not an object');
        continue;
      }
      const spans = sc.spans;
      if (spans === undefined || spans === null) continue;
      if (!Array.isArray(spans)) {
        sink.skip(`${scPath}.spans`, 'spans is not a list');
        continue;
      }
      const scope = sc.scope ?? sc.instrumentationLibrary;
      for (let k = 0; k < spans.length; k++) readSpan(spans[k], res, scope, sink, `${scPath}.spans[${k}]`);
    }
  }
}

export const otlpJson: JsonFormat = {
  name: 'otlp-json',
  matches(doc: unknown): boolean {
    return isObject(doc) && Array.isArray(doc.resourceSpans);
  },
  // `{}` is an export with nothing in it (proto3 JSON leaves out empty lists and unknown fields).
  accepts: isObject,
  read(doc: unknown, sink: SpanSink, where: string): void {
    if (!isObject(doc)) {
      sink.skip(where, 'expected an OTLP {"resourceSpans":[...]} object');
      return;
    }
    if (doc.resourceSpans !== undefined) readResourceSpans(doc.resourceSpans, sink, `${where}.resourceSpans`);
  },
};
