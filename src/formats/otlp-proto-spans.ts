import { gunzipSync } from 'node:zlib';
import { KEPT_SPAN_ATTRIBUTES } from '../trace/kept-attributes.js';
import type { Attributes, RawSpan, SpanKind } from '../trace/span.js';
import { isZeroId } from '../trace/ids.js';
import { timeProblem, type TimeWindow } from '../trace/time-window.js';
import { readKeyValues, serviceOfResource } from './otlp-attributes.js';
import {
  allAttributes,
  fieldsOf,
  hexId,
  keyValue,
  Malformed,
  micros,
  Wire,
  type Range,
} from './protobuf-wire.js';
import { ReadReport } from './report.js';
import { InputError } from './types.js';

/**
 * A pushed ExportTraceServiceRequest read straight from its bytes into RawSpans, for the push path where
 * every span of a busy system passes: no message objects, no id round trip through base64, no per-span
 * attribute objects beyond what the span buffer keeps (KEPT_SPAN_ATTRIBUTES and the configured extras).
 * It reads what otlp-proto.ts + otlp-json.ts read, the same way (ids, times, status, the failure read from
 * `error.type` or an `exception` event, resources, skip reasons and messages), and is tested against them.
 * Unlike protobufjs it does not look inside the fields it does not need, so a corrupt value in one of
 * those costs nothing rather than the whole request.
 */

const NOT_OTLP = 'not an OTLP ExportTraceServiceRequest';
const WHERE = 'request body';
const KIND_BY_NUMBER: SpanKind[] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];

/** Decides which span attributes are read: the kept names, and keys a kvlist could flatten into one. */
class KeptNames {
  private readonly names: Set<string>;
  private readonly prefixes = new Set<string>();
  readonly scope: boolean;
  constructor(extra: readonly string[]) {
    this.names = new Set([...KEPT_SPAN_ATTRIBUTES, ...extra]);
    for (const n of this.names)
      for (let i = n.indexOf('.'); i > 0; i = n.indexOf('.', i + 1)) this.prefixes.add(n.slice(0, i));
    this.scope = this.names.has('otel.scope.name') || this.names.has('otel.scope.version');
  }
  wanted(key: string): boolean {
    return this.names.has(key) || this.prefixes.has(key);
  }
}

const keptCache = new Map<string, KeptNames>();
function keptNames(extra: readonly string[]): KeptNames {
  const k = extra.join('\u0000');
  let kn = keptCache.get(k);
  if (!kn) keptCache.set(k, (kn = new KeptNames(extra)));
  return kn;
}

interface ResourceInfo {
  service: string;
  resource: Attributes;
  instance?: string;
}

function resourceInfo(w: Wire, range: Range | undefined, report: ReadReport): ResourceInfo {
  const attrs: Range[] = [];
  if (range) {
    w.pos = range[0];
    while (w.pos < range[1]) {
      const tag = w.varint();
      if (tag === 10) {
        const e = w.length();
        attrs.push([w.pos, e]);
        w.pos = e;
      } else w.skip(tag & 7, tag >>> 3);
    }
  }
  const resource = allAttributes(w, attrs);
  return { ...serviceOfResource(resource, (m) => report.note(m)), resource };
}

interface Scope {
  name?: string;
  version?: string;
}

/** What one span needs beyond the kept attributes; filled field by field, checked once at its end. */
interface SpanFields {
  traceId?: Range;
  spanId?: Range;
  parentId?: Range;
  name: string;
  kind: number;
  start?: number;
  end?: number;
  attrs: Range[];
  events: Range[];
  statusCode: number;
  statusMessage?: string;
}

function spanFields(w: Wire, end: number, kept: KeptNames): SpanFields {
  const f: SpanFields = { name: '', kind: 0, attrs: [], events: [], statusCode: 0 };
  while (w.pos < end) {
    const tag = w.varint();
    switch (tag) {
      case 10: // trace_id
      case 18: // span_id
      case 34: {
        // parent_span_id
        const e = w.length();
        const r: Range = [w.pos, e];
        if (tag === 10) f.traceId = r;
        else if (tag === 18) f.spanId = r;
        else f.parentId = r;
        w.pos = e;
        break;
      }
      case 42: {
        const e = w.length();
        f.name = w.string(e);
        w.pos = e;
        break;
      }
      case 48:
        f.kind = w.varint();
        break;
      case 57:
        f.start = micros(w.buf, w.fixed(8));
        break;
      case 65:
        f.end = micros(w.buf, w.fixed(8));
        break;
      case 74: {
        const e = w.length();
        if (wantedKey(w, e, kept)) f.attrs.push([w.pos, e]);
        w.pos = e;
        break;
      }
      case 90: {
        const e = w.length();
        f.events.push([w.pos, e]);
        w.pos = e;
        break;
      }
      case 122: {
        const e = w.length();
        while (w.pos < e) {
          const t = w.varint();
          if (t === 18) {
            const se = w.length();
            f.statusMessage = w.string(se);
            w.pos = se;
          } else if (t === 24) f.statusCode = w.varint();
          else w.skip(t & 7, t >>> 3);
        }
        break;
      }
      default:
        w.skip(tag & 7, tag >>> 3);
    }
  }
  return f;
}

/** Whether a span attribute (a KeyValue from the reader's position to `end`) is one the buffer keeps. */
function wantedKey(w: Wire, end: number, kept: KeptNames): boolean {
  const at = w.pos;
  let wanted = false;
  while (w.pos < end) {
    const tag = w.varint();
    if (tag === 10) {
      const e = w.length();
      // latin1: kept names are ASCII, and a key with other bytes matches none of them either way.
      wanted = kept.wanted(w.buf.toString('latin1', w.pos, e));
      w.pos = e;
    } else w.skip(tag & 7, tag >>> 3);
  }
  w.pos = at;
  return wanted;
}

/** The message (or type) of the first `exception` event; '' for one without either; undefined for none. */
function exceptionOf(w: Wire, events: Range[]): string | undefined {
  for (const [s, e] of events) {
    let name: string | undefined;
    const attrs: Range[] = [];
    w.pos = s;
    while (w.pos < e) {
      const tag = w.varint();
      if (tag === 18 || tag === 26) {
        const le = w.length();
        if (tag === 18) name = w.string(le);
        else attrs.push([w.pos, le]);
        w.pos = le;
      } else w.skip(tag & 7, tag >>> 3);
    }
    if (name !== 'exception') continue;
    const a = allAttributes(w, attrs);
    const m = a['exception.message'] ?? a['exception.type'];
    return typeof m === 'string' ? m : '';
  }
  return undefined;
}

/** Where a span is in the request, for the messages about it (spelled out only when one is said). */
interface SpanPlace {
  i: number;
  key: string;
  j: number;
  k: number;
}
const pathOf = (p: SpanPlace) => `$.resourceSpans[${p.i}].${p.key}[${p.j}].spans[${p.k}]`;

function skip(report: ReadReport, at: SpanPlace, message: string, reason?: string): undefined {
  report.skip(WHERE, pathOf(at), message, reason);
  return undefined;
}

const quoted = (w: Wire, r: Range | undefined) => JSON.stringify(r ? w.buf.toString('hex', r[0], r[1]) : '');

function toSpan(
  w: Wire,
  f: SpanFields,
  res: ResourceInfo,
  scope: Scope | undefined,
  report: ReadReport,
  at: SpanPlace,
): RawSpan | undefined {
  const traceId = f.traceId && hexId(w.buf, f.traceId[0], f.traceId[1], 32);
  if (traceId === undefined || isZeroId(traceId))
    return skip(report, at, `traceId ${quoted(w, f.traceId)} is missing or not a hex id`);
  const spanId = f.spanId && hexId(w.buf, f.spanId[0], f.spanId[1], 16);
  if (spanId === undefined || isZeroId(spanId))
    return skip(report, at, `spanId ${quoted(w, f.spanId)} is missing or not a hex id`);
  let parentId: string | undefined;
  if (f.parentId && f.parentId[1] > f.parentId[0]) {
    parentId = hexId(w.buf, f.parentId[0], f.parentId[1], 16);
    if (parentId === undefined)
      report.note(`${pathOf(at)}: parentSpanId ${quoted(w, f.parentId)} is not an id; span read as a root`);
    else if (isZeroId(parentId)) parentId = undefined;
  }
  let duration: number | undefined;
  if (f.start !== undefined && f.end !== undefined) {
    duration = f.end - f.start;
    if (duration < 0)
      return skip(report, at, `span ${spanId} ends before it starts (${duration} µs)`, 'time_unreadable');
  }
  const attributes: Attributes = {};
  for (const [s, e] of f.attrs) {
    w.pos = s;
    readKeyValues([keyValue(w, e, 0)], attributes);
  }
  if (scope?.name) {
    attributes['otel.scope.name'] = scope.name;
    if (scope.version) attributes['otel.scope.version'] = scope.version;
  }
  let error = f.statusCode === 2;
  let statusMessage = f.statusMessage === '' ? undefined : f.statusMessage;
  if (!error && f.statusCode !== 1) {
    const exception = f.events.length > 0 ? exceptionOf(w, f.events) : undefined;
    const errorType = attributes['error.type'];
    if (exception !== undefined || (errorType !== undefined && errorType !== '')) {
      error = true;
      statusMessage ??= exception || (typeof errorType === 'string' ? errorType : undefined);
    }
  }
  return {
    traceId,
    spanId,
    parentId,
    service: res.service,
    operation: f.name,
    kind: (Number.isInteger(f.kind) && KIND_BY_NUMBER[f.kind]) || 'internal',
    start: f.start,
    duration,
    error,
    statusMessage,
    attributes,
    resource: res.resource,
    events: f.events.length,
    instance: res.instance,
  };
}

function scopeOf(w: Wire, r: Range): Scope {
  const scope: Scope = {};
  for (const [tag, [s, e]] of fieldsOf(w, r[0], r[1], (t) => t === 10 || t === 18)) {
    w.pos = s;
    if (tag === 10) scope.name = w.string(e);
    else scope.version = w.string(e);
  }
  return scope;
}

export interface ProtoSpansOptions {
  /** Spans starting outside it, or lasting longer than it allows, are skipped and counted. */
  window: TimeWindow;
  /** Span attributes read beside KEPT_SPAN_ATTRIBUTES (the configured session attributes). */
  keep?: readonly string[];
}

/**
 * Reads a pushed OTLP protobuf body (gzip allowed) into RawSpans with the kept attributes only. Throws
 * InputError when the bytes are not an ExportTraceServiceRequest; spans that cannot be trusted are skipped
 * and counted in the report as the JSON path counts them. The empty export (zero bytes) is valid.
 */
export function readOtlpProtoSpans(
  payload: Buffer,
  opts: ProtoSpansOptions,
): { spans: RawSpan[]; report: ReadReport } {
  const report = new ReadReport();
  const spans: RawSpan[] = [];
  let buf = payload;
  if (payload[0] === 0x1f && payload[1] === 0x8b) {
    try {
      buf = gunzipSync(payload);
    } catch (err) {
      throw new InputError(WHERE, '', `looks gzipped but cannot be decompressed (${(err as Error).message})`);
    }
  }
  if (buf.length === 0) return { spans, report };
  report.formats.set(WHERE, 'otlp-proto');
  const kept = keptNames(opts.keep ?? []);
  const w = new Wire(buf);
  const place: SpanPlace = { i: 0, key: '', j: 0, k: 0 };
  try {
    const resourceSpans = fieldsOf(w, 0, buf.length, (t) => t === 10);
    if (resourceSpans.length === 0) throw new Malformed('it holds no resourceSpans');
    // A malformed part anywhere refuses the whole request (the report is dropped with it), as protobufjs did.
    for (let i = 0; i < resourceSpans.length; i++) {
      const [rs, re] = resourceSpans[i][1];
      let resource: Range | undefined;
      const scopes: Range[] = [];
      const legacy: Range[] = [];
      for (const [tag, r] of fieldsOf(w, rs, re, (t) => t === 10 || t === 18 || t === 8002)) {
        if (tag === 10) resource = r;
        else (tag === 18 ? scopes : legacy).push(r);
      }
      const key = scopes.length > 0 || legacy.length === 0 ? 'scopeSpans' : 'instrumentationLibrarySpans';
      const list = key === 'scopeSpans' ? scopes : legacy;
      if (list.length === 0) continue;
      const res = resourceInfo(w, resource, report);
      for (let j = 0; j < list.length; j++) {
        let scope: Range | undefined;
        const spanRanges: Range[] = [];
        for (const [tag, r] of fieldsOf(w, list[j][0], list[j][1], (t) => t === 10 || t === 18)) {
          if (tag === 10) scope = r;
          else spanRanges.push(r);
        }
        const sc = kept.scope && scope ? scopeOf(w, scope) : undefined;
        for (let k = 0; k < spanRanges.length; k++) {
          w.pos = spanRanges[k][0];
          const fields = spanFields(w, spanRanges[k][1], kept);
          place.i = i;
          place.key = key;
          place.j = j;
          place.k = k;
          const span = toSpan(w, fields, res, sc, report, place);
          if (!span) continue;
          const problem = timeProblem(span.start, span.duration, opts.window);
          if (problem)
            report.skip(
              WHERE,
              `span ${span.spanId} of trace ${span.traceId}`,
              problem.message,
              problem.reason,
            );
          else spans.push(span);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof Malformed)) throw err;
    throw new InputError(WHERE, '', `${NOT_OTLP}: ${err.message}`);
  }
  report.spans = spans.length;
  return { spans, report };
}
