import { gunzipSync } from 'node:zlib';
import { KEPT_SPAN_ATTRIBUTES } from '../trace/kept-attributes.js';
import type { Attributes, RawSpan, SpanKind } from '../trace/span.js';
import { isZeroId, normalizeHexId } from '../trace/ids.js';
import { timeProblem, type TimeWindow } from '../trace/time-window.js';
import { readKeyValues } from './otlp-attributes.js';
import { textOf } from './json-util.js';
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
const INSTANCE_KEYS = ['k8s.pod.name', 'host.name', 'service.instance.id'];
/** AnyValue nesting read for a kept value; readKeyValues cuts at 16 levels, so nothing deeper is looked at. */
const MAX_VALUE_DEPTH = 24;

class Malformed extends Error {}

/** Protobuf wire reading over one buffer; every read checks its bounds. */
class Wire {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    public end = buf.length,
  ) {}

  varint(): number {
    // Values above 2^53 lose precision: they are tags, lengths, enums and bools here, all small.
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed(`truncated varint at ${this.pos}`);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new Malformed(`varint longer than 10 bytes at ${this.pos}`);
  }

  /** A signed int64 varint as proto-JSON spells it (a decimal string). */
  int64(): string {
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed(`truncated varint at ${this.pos}`);
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, v).toString();
      shift += 7n;
    }
    throw new Malformed(`varint longer than 10 bytes at ${this.pos}`);
  }

  /** The end of a length-delimited field that starts here. */
  length(): number {
    const n = this.varint();
    const end = this.pos + n;
    if (end > this.end) throw new Malformed(`length ${n} at ${this.pos} runs past the end`);
    return end;
  }

  skip(wireType: number, field: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.fixed(8);
        return;
      case 2:
        this.pos = this.length();
        return;
      case 3:
        for (;;) {
          const tag = this.varint();
          if ((tag & 7) === 4) {
            if (tag >>> 3 !== field) throw new Malformed(`unmatched group end at ${this.pos}`);
            return;
          }
          this.skip(tag & 7, tag >>> 3);
        }
      case 5:
        this.fixed(4);
        return;
      default:
        throw new Malformed(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  fixed(n: number): number {
    const at = this.pos;
    if (at + n > this.end) throw new Malformed(`truncated fixed${n * 8} at ${at}`);
    this.pos = at + n;
    return at;
  }

  string(end: number): string {
    return this.buf.toString('utf8', this.pos, end);
  }
}

/** A fixed64 of nanoseconds at `at` to µs, exactly (the JSON reader cuts the decimal string's last three digits). */
function micros(buf: Buffer, at: number): number | undefined {
  const lo = buf.readUInt32LE(at);
  const hi = buf.readUInt32LE(at + 4);
  if (lo === 0 && hi === 0) return undefined;
  const hq = Math.floor(hi / 1000);
  const rest = (hi % 1000) * 4294967296 + lo;
  return hq * 4294967296 + (rest - (rest % 1000)) / 1000;
}

/** Ids as otlp-proto.ts + otlp-json.ts read them: the bytes as hex, short ids left-padded, long ones refused. */
function hexId(buf: Buffer, from: number, to: number, width: 16 | 32): string | undefined {
  if (to - from === width / 2) return buf.toString('hex', from, to);
  return normalizeHexId(buf.toString('hex', from, to), width);
}

type Range = [number, number];
type Obj = Record<string, unknown>;

/** An AnyValue in the proto-JSON shape readKeyValues reads (int64 as a decimal string, bytes as base64). */
function anyValue(w: Wire, end: number, depth: number): Obj {
  const out: Obj = {};
  if (depth > MAX_VALUE_DEPTH) {
    w.pos = end;
    return out;
  }
  while (w.pos < end) {
    const tag = w.varint();
    const f = tag >>> 3;
    const t = tag & 7;
    if (f === 1 && t === 2) {
      const e = w.length();
      out.stringValue = w.string(e);
      w.pos = e;
    } else if (f === 2 && t === 0) out.boolValue = w.varint() !== 0;
    else if (f === 3 && t === 0) out.intValue = w.int64();
    else if (f === 4 && t === 1) out.doubleValue = w.buf.readDoubleLE(w.fixed(8));
    else if ((f === 5 || f === 6) && t === 2) {
      const e = w.length();
      const values: unknown[] = [];
      while (w.pos < e) {
        const tg = w.varint();
        if (tg >>> 3 === 1 && (tg & 7) === 2) {
          const ve = w.length();
          values.push(f === 5 ? anyValue(w, ve, depth + 1) : keyValue(w, ve, depth + 1));
          w.pos = ve;
        } else w.skip(tg & 7, tg >>> 3);
      }
      out[f === 5 ? 'arrayValue' : 'kvlistValue'] = values.length > 0 ? { values } : {};
    } else if (f === 7 && t === 2) {
      const e = w.length();
      out.bytesValue = w.buf.toString('base64', w.pos, e);
      w.pos = e;
    } else w.skip(t, f);
  }
  return out;
}

function keyValue(w: Wire, end: number, depth: number): Obj {
  const kv: Obj = {};
  while (w.pos < end) {
    const tag = w.varint();
    if (tag === 10) {
      const e = w.length();
      kv.key = w.string(e);
      w.pos = e;
    } else if (tag === 18) {
      const e = w.length();
      kv.value = anyValue(w, e, depth);
      w.pos = e;
    } else w.skip(tag & 7, tag >>> 3);
  }
  return kv;
}

/** Every KeyValue of the given ranges, read in full (resources, exception events: a few per request). */
function allAttributes(w: Wire, ranges: Range[]): Attributes {
  const list: Obj[] = [];
  for (const [s, e] of ranges) {
    w.pos = s;
    list.push(keyValue(w, e, 0));
  }
  return readKeyValues(list, {});
}

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
  let service = resource['service.name'];
  if (typeof service !== 'string' || service === '') {
    const exe = resource['process.executable.name'];
    service = typeof exe === 'string' && exe !== '' ? `unknown_service:${exe}` : 'unknown_service';
    report.note(`a resource has no service.name attribute; its spans are attributed to ${service}`);
  }
  let instance: string | undefined;
  for (const k of INSTANCE_KEYS) {
    const v = resource[k];
    if (v !== undefined && v !== '') {
      instance = textOf(v);
      break;
    }
  }
  return { service, resource, instance };
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

/** The fields of a message whose tags are wanted, as ranges, in order; the rest is skipped (and checked). */
function fieldsOf(
  w: Wire,
  start: number,
  end: number,
  wanted: (tag: number) => boolean,
): Array<[number, Range]> {
  const out: Array<[number, Range]> = [];
  w.pos = start;
  while (w.pos < end) {
    const tag = w.varint();
    if (wanted(tag)) {
      const e = w.length();
      out.push([tag, [w.pos, e]]);
      w.pos = e;
    } else w.skip(tag & 7, tag >>> 3);
  }
  return out;
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
