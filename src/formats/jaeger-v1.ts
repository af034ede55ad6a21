import type { AttributeValue, Attributes, RawSpan, SpanKind } from '../trace/span.js';
import { isZeroId, normalizeSpanId, normalizeTraceId } from '../trace/ids.js';
import type { JsonFormat, SpanSink } from './types.js';
import { firstText, isObject, textOf } from './json-util.js';

/**
 * Jaeger's legacy v1 JSON (the query API and UI format): the `{"data":[trace...]}` envelope, one trace
 * object, or a bare array of trace objects.
 *
 * Decisions worth knowing:
 * - Parent: the first CHILD_OF reference into the span's own trace, else the first CHILD_OF at all (a
 *   cross-trace parent then makes the span an orphan, as Jaeger shows it). A span with no CHILD_OF but a
 *   FOLLOWS_FROM into its own trace is an async child of that span: without it, the producer/consumer half
 *   of a queue hop would float as a second root and the trace would look broken. Every reference that is
 *   not the chosen CHILD_OF parent (FOLLOWS_FROM included, even when it became the parent) goes to `links`,
 *   so the async nature stays visible.
 * - Spans of one process share one `resource` object (read-only by convention); copying it per span
 *   costs more than the rest of the span.
 * - This runs once per span on large downloads, so it is plain loops over the parsed JSON: no schema
 *   library, no spreads, ids checked by char codes with ids.ts as the fallback for odd widths.
 */

// A Map, not an object literal: a tag value like "constructor" must not find Object.prototype's members.
const KINDS = new Map<string, SpanKind>([
  ['server', 'server'],
  ['client', 'client'],
  ['producer', 'producer'],
  ['consumer', 'consumer'],
  ['internal', 'internal'],
]);

/** Process tags that say where a span ran, most specific first. */
const INSTANCE_KEYS = ['k8s.pod.name', 'hostname', 'host.name', 'ip', 'host.ip', 'service.instance.id'];

/** True for a string of exactly `width` lowercase hex digits: the common case, checked without a regex. */
function isCanonicalHex(s: string, width: number): boolean {
  if (s.length !== width) return false;
  for (let i = 0; i < width; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

export function fastTraceId(raw: unknown): string | undefined {
  return typeof raw === 'string' && isCanonicalHex(raw, 32) ? raw : normalizeTraceId(raw);
}

export function fastSpanId(raw: unknown): string | undefined {
  return typeof raw === 'string' && isCanonicalHex(raw, 16) ? raw : normalizeSpanId(raw);
}

/** One Jaeger tag value, typed by its `type` field; loose producers send bools and numbers as strings. */
function tagValue(type: unknown, v: unknown): AttributeValue | undefined {
  switch (type) {
    case 'string':
    case 'binary': // base64 stays base64: decoding would turn it into unreadable text
      return typeof v === 'string' ? v : v === null || v === undefined ? undefined : textOf(v);
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true') return true;
      if (v === 'false') return false;
      break;
    case 'int64':
      if (typeof v === 'number') return v;
      if (typeof v === 'string') {
        const n = Number(v);
        // Beyond 2^53 a number would silently change the value: keep the decimal string.
        return Number.isSafeInteger(n) ? n : v;
      }
      break;
    case 'float64':
      if (typeof v === 'number') return v;
      if (typeof v === 'string') {
        const n = Number(v);
        return v.trim() !== '' && Number.isFinite(n) ? n : v;
      }
      break;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v === null || v === undefined) return undefined;
  return JSON.stringify(v);
}

/** What a span's tags say beyond attributes; filled while the tags are read, to look each key up once. */
interface TagFacts {
  kind: SpanKind;
  error: boolean;
  statusMessage: string | undefined;
  errorMessage: string | undefined;
}

function readTags(tags: unknown, into: Attributes, facts?: TagFacts): void {
  if (!Array.isArray(tags)) return;
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i];
    if (typeof t !== 'object' || t === null) continue;
    const key = t.key;
    if (typeof key !== 'string') continue;
    const v = tagValue(t.type, t.value);
    if (v === undefined) continue;
    into[key] = v;
    if (facts === undefined) continue;
    // The keys that matter start with 's', 'e' or 'o': one char test keeps most tags off the compares.
    const c = key.charCodeAt(0);
    if (c === 115) {
      if (key === 'span.kind' && typeof v === 'string') facts.kind = KINDS.get(v) ?? facts.kind;
    } else if (c === 101) {
      if (key === 'error') facts.error ||= v === true || v === 'true';
      else if (key === 'error.message') facts.errorMessage = textOf(v);
    } else if (c === 111) {
      if (key === 'otel.status_code') facts.error ||= v === 'ERROR';
      else if (key === 'otel.status_description') facts.statusMessage = textOf(v);
    }
  }
}

interface Proc {
  service: string;
  resource: Attributes;
  instance?: string;
}

function readProcess(p: unknown): Proc | undefined {
  if (!isObject(p)) return undefined;
  const resource: Attributes = {};
  readTags(p.tags, resource);
  const instance = firstText(resource, INSTANCE_KEYS);
  const service =
    typeof p.serviceName === 'string' && p.serviceName !== '' ? p.serviceName : 'unknown_service';
  return { service, resource, instance };
}

const NO_PROCESS: Proc = { service: 'unknown_service', resource: {} };

interface RefFacts {
  parentId: string | undefined;
  links: string[] | undefined;
}

/** Picks the parent among a span's references (see the file comment); the rest become links. */
function readReferences(refs: unknown[], rawTrace: unknown, traceId: string, out: RefFacts): void {
  // The common case, one CHILD_OF into the same trace, without the bookkeeping below.
  if (refs.length === 1) {
    const ref = refs[0] as Record<string, unknown> | null;
    if (typeof ref === 'object' && ref !== null && ref.refType !== 'FOLLOWS_FROM') {
      const rt = ref.traceID;
      if (rt === undefined || rt === rawTrace || fastTraceId(rt) === traceId) {
        const id = fastSpanId(ref.spanID);
        if (id !== undefined && !isZeroId(id)) out.parentId = id;
        return;
      }
    }
  }
  let parentRef = -1;
  let anyChildOf = -1;
  let sameTraceFollows = -1;
  const refIds: (string | undefined)[] = new Array(refs.length);
  for (let r = 0; r < refs.length; r++) {
    const ref = refs[r] as Record<string, unknown> | null;
    if (typeof ref !== 'object' || ref === null) continue;
    const id = fastSpanId(ref.spanID);
    if (id === undefined || isZeroId(id)) continue;
    refIds[r] = id;
    const rt = ref.traceID;
    const sameTrace = rt === undefined || rt === rawTrace || fastTraceId(rt) === traceId;
    if (ref.refType === 'FOLLOWS_FROM') {
      if (sameTrace && sameTraceFollows < 0) sameTraceFollows = r;
    } else {
      // CHILD_OF, or a missing refType: the model's default reference is CHILD_OF.
      if (anyChildOf < 0) anyChildOf = r;
      if (sameTrace && parentRef < 0) parentRef = r;
    }
  }
  if (parentRef < 0) parentRef = anyChildOf;
  if (parentRef < 0) parentRef = sameTraceFollows;
  if (parentRef >= 0) out.parentId = refIds[parentRef];
  for (let r = 0; r < refs.length; r++) {
    const id = refIds[r];
    if (id === undefined) continue;
    if (r === parentRef && (refs[r] as Record<string, unknown>).refType !== 'FOLLOWS_FROM') continue;
    (out.links ??= []).push(id);
  }
}

/** Reads one trace object; `path` is its JSON path. */
function readTrace(t: unknown, sink: SpanSink, path: string): void {
  if (!isObject(t)) {
    sink.skip(path, 'trace is not an object');
    return;
  }
  const spans = t.spans;
  if (!Array.isArray(spans)) {
    sink.skip(path, 'trace has no spans array');
    return;
  }
  const traceLabel = typeof t.traceID === 'string' ? t.traceID : path;
  if (Array.isArray(t.warnings)) {
    for (const w of t.warnings) if (typeof w === 'string') sink.warn(`trace ${traceLabel}: ${w}`);
  }
  const procs = new Map<string, Proc>();
  if (isObject(t.processes)) {
    for (const pid of Object.keys(t.processes)) {
      const p = readProcess(t.processes[pid]);
      if (p) procs.set(pid, p);
    }
  }

  let lastRawTrace: unknown = undefined;
  let lastTrace: string | undefined;
  let noProcess = 0;
  const refs: RefFacts = { parentId: undefined, links: undefined };
  const facts: TagFacts = {
    kind: 'internal',
    error: false,
    statusMessage: undefined,
    errorMessage: undefined,
  };
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      sink.skip(`${path}.spans[${i}]`, 'span is not an object');
      continue;
    }
    const rawTrace = s.traceID ?? t.traceID;
    // Spans of one trace repeat the same id string: normalize it once.
    if (rawTrace !== lastRawTrace) {
      lastRawTrace = rawTrace;
      lastTrace = fastTraceId(rawTrace);
    }
    const traceId = lastTrace;
    if (traceId === undefined || isZeroId(traceId)) {
      sink.skip(`${path}.spans[${i}]`, `traceID ${JSON.stringify(rawTrace)} is missing or not a hex id`);
      continue;
    }
    const spanId = fastSpanId(s.spanID);
    if (spanId === undefined) {
      sink.skip(`${path}.spans[${i}]`, `spanID ${JSON.stringify(s.spanID)} is missing or not a hex id`);
      continue;
    }
    const duration = typeof s.duration === 'number' ? s.duration : toNumber(s.duration);
    if (duration !== undefined && duration < 0) {
      sink.skip(`${path}.spans[${i}]`, `span ${spanId} has a negative duration (${duration} µs)`);
      continue;
    }
    const start = typeof s.startTime === 'number' ? s.startTime : toNumber(s.startTime);

    refs.parentId = undefined;
    refs.links = undefined;
    if (Array.isArray(s.references) && s.references.length > 0)
      readReferences(s.references, rawTrace, traceId, refs);
    const parentId = refs.parentId;
    const links = refs.links;

    let proc: Proc | undefined;
    if (typeof s.processID === 'string') proc = procs.get(s.processID);
    if (proc === undefined && s.process !== undefined) proc = readProcess(s.process);
    if (proc === undefined) {
      noProcess++;
      proc = NO_PROCESS;
    }

    const attributes: Attributes = {};
    facts.kind = 'internal';
    facts.error = false;
    facts.statusMessage = facts.errorMessage = undefined;
    readTags(s.tags, attributes, facts);

    if (Array.isArray(s.warnings)) {
      for (const w of s.warnings)
        if (typeof w === 'string') sink.warn(`trace ${traceLabel} span ${spanId}: ${w}`);
    }

    const span: RawSpan = {
      traceId,
      spanId,
      parentId,
      service: proc.service,
      operation: typeof s.operationName === 'string' ? s.operationName : '',
      kind: facts.kind,
      start,
      duration,
      error: facts.error,
      statusMessage: facts.statusMessage ?? facts.errorMessage,
      attributes,
      resource: proc.resource,
      events: Array.isArray(s.logs) ? s.logs.length : 0,
      instance: proc.instance,
      links,
    };
    sink.span(span);
  }
  if (noProcess > 0) {
    sink.warn(
      `trace ${traceLabel}: ${noProcess} spans name no known process; service set to unknown_service`,
    );
  }
}

function toNumber(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function isTraceObject(v: unknown): boolean {
  return isObject(v) && Array.isArray(v.spans) && ('traceID' in v || 'processes' in v);
}

export const jaegerV1: JsonFormat = {
  name: 'jaeger-v1',
  recordsAreTraces: true,
  matches(doc: unknown): boolean {
    if (Array.isArray(doc)) return doc.length > 0 && isTraceObject(doc[0]);
    if (!isObject(doc)) return false;
    if (Array.isArray(doc.data)) {
      // /api/services also answers {"data":[...]}, with strings: only trace lists (or an empty search) match.
      return doc.data.length === 0 ? 'errors' in doc || 'total' in doc : isTraceObject(doc.data[0]);
    }
    return isTraceObject(doc);
  },
  read(doc: unknown, sink: SpanSink, where: string): void {
    if (Array.isArray(doc)) {
      for (let i = 0; i < doc.length; i++) readTrace(doc[i], sink, `${where}[${i}]`);
      return;
    }
    if (!isObject(doc)) {
      sink.skip(where, 'expected a Jaeger trace, a list of traces or {"data":[...]}');
      return;
    }
    if (Array.isArray(doc.errors)) {
      for (const e of doc.errors) {
        const m = isObject(e) ? e.msg : e;
        if (m !== undefined && m !== null)
          sink.warn(`Jaeger query error: ${typeof m === 'string' ? m : JSON.stringify(m)}`);
      }
    }
    if ('data' in doc) {
      const data = doc.data;
      if (!Array.isArray(data)) {
        if (data !== null) sink.skip(`${where}.data`, 'data is not a list of traces');
        return;
      }
      for (let i = 0; i < data.length; i++) readTrace(data[i], sink, `${where}.data[${i}]`);
      return;
    }
    readTrace(doc, sink, where);
  },
};
