import type { AttributeValue, Attributes, RawSpan, SpanKind } from '../trace/span.js';
import { normalizeSpanId, normalizeTraceId } from '../trace/ids.js';
import type { JsonFormat, SpanSink } from './types.js';
import { int64Value, isObject, toInt, textOf } from './json-util.js';
import {
  errorOf,
  firstRecord,
  forEachRecord,
  optionalMicros,
  parentIdOf,
  readEndpoint,
  type ZipkinEndpoint,
} from './zipkin-common.js';
import { UNKNOWN } from './zipkin-v2.js';

/**
 * Zipkin v1 JSON (`/api/v1/spans`): no kind and no local endpoint; roles come from the core annotations
 * (cs/cr = client send/receive, sr/ss = server receive/send, ms/mr = message send/receive), each carrying
 * the endpoint of the process that recorded it.
 *
 * Each record becomes one span per role it holds. A record with both client and server annotations is an
 * RPC seen from both sides under one id: it yields a client span and a server span. Every server half is
 * marked `shared`, because v1 has no flag for it and one id for both halves is the v1 convention; the
 * dedupe adjuster only acts when the id actually clashes, so a lone server span is unaffected.
 *
 * Timing: a half's own annotations come first (cs..cr, sr..ss); the record's timestamp/duration belong to
 * whoever created the span, so they fill in only for the client half or for a record with a single half.
 * A server half reported without timing (common: the server does not own the span) is left to infer-timing.
 */

const CORE = new Set(['cs', 'cr', 'sr', 'ss', 'ms', 'mr', 'ws', 'wr']);
/** Address annotations name the remote side, not the recorder. */
const ADDRESS_KEYS = new Set(['ca', 'sa', 'ma']);

interface Annotation {
  ts?: number;
  value: string;
  endpoint?: ZipkinEndpoint;
}

interface Half {
  kind: SpanKind;
  start?: number;
  end?: number;
  endpoint?: ZipkinEndpoint;
  attributes: Attributes;
  events: number;
}

function binaryValue(type: unknown, v: unknown): AttributeValue | undefined {
  const t = typeof type === 'string' ? type.toUpperCase() : 'STRING';
  if (v === null || v === undefined) return undefined;
  switch (t) {
    case 'BOOL':
      return v === true || v === 'true' || v === 1;
    case 'I16':
    case 'I32':
    case 'I64':
      return int64Value(v) ?? textOf(v);
    case 'DOUBLE': {
      const n = Number(v);
      return Number.isFinite(n) ? n : textOf(v);
    }
    default:
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
  }
}

function readAnnotations(v: unknown): Annotation[] {
  const out: Annotation[] = [];
  if (!Array.isArray(v)) return out;
  for (const a of v) {
    if (!isObject(a) || typeof a.value !== 'string') continue;
    out.push({ ts: toInt(a.timestamp), value: a.value, endpoint: readEndpoint(a.endpoint) });
  }
  return out;
}

/** Splits one record into its halves (in the order client, server, producer, consumer, local). */
function halvesOf(r: Record<string, unknown>): Half[] {
  const anns = readAnnotations(r.annotations);
  const at: Record<string, Annotation> = {};
  for (const a of anns) if (CORE.has(a.value) && !at[a.value]) at[a.value] = a;
  const halves: Half[] = [];
  const make = (kind: SpanKind, begin?: Annotation, finish?: Annotation): Half => ({
    kind,
    start: begin?.ts,
    end: finish?.ts,
    endpoint: begin?.endpoint ?? finish?.endpoint,
    attributes: {},
    events: 0,
  });
  if (at.cs || at.cr) halves.push(make('client', at.cs, at.cr));
  if (at.sr || at.ss) halves.push(make('server', at.sr, at.ss));
  if (at.ms) halves.push(make('producer', at.ms, at.ws));
  if (at.mr) halves.push(make('consumer', at.mr, at.wr));

  const binary = Array.isArray(r.binaryAnnotations) ? r.binaryAnnotations.filter(isObject) : [];
  if (halves.length === 0) {
    // A local span: its recorder is named by the `lc` binary annotation, else by any endpoint we have.
    const lc = binary.find((b) => b.key === 'lc');
    const endpoint =
      readEndpoint(lc?.endpoint) ??
      anns.find((a) => a.endpoint?.serviceName)?.endpoint ??
      binary
        .map((b) => (ADDRESS_KEYS.has(textOf(b.key)) ? undefined : readEndpoint(b.endpoint)))
        .find((e) => e);
    halves.push({ kind: 'internal', endpoint, attributes: {}, events: 0 });
  }

  const halfFor = (e: ZipkinEndpoint | undefined): Half =>
    (e?.serviceName !== undefined && halves.find((h) => h.endpoint?.serviceName === e.serviceName)) ||
    halves[0];

  for (const a of anns) if (!CORE.has(a.value)) halfFor(a.endpoint).events++;
  for (const b of binary) {
    if (typeof b.key !== 'string') continue;
    const endpoint = readEndpoint(b.endpoint);
    if (ADDRESS_KEYS.has(b.key)) {
      // sa names the server a client called, ca the client that called a server, ma the broker.
      const target =
        b.key === 'ca' ? halves.find((h) => h.kind === 'server') : halves.find((h) => h.kind !== 'server');
      if (target && endpoint?.serviceName && target.attributes['peer.service'] === undefined)
        target.attributes['peer.service'] = endpoint.serviceName;
      continue;
    }
    const value = binaryValue(b.type, b.value);
    if (value !== undefined) halfFor(endpoint).attributes[b.key] = value;
  }
  return halves;
}

/** Converts one v1 record into one span per role; returns a reason instead when it cannot be a span. */
export function zipkinV1Spans(r: Record<string, unknown>, sink: SpanSink): RawSpan[] | string {
  const traceId = normalizeTraceId(r.traceId);
  if (traceId === undefined) return `traceId ${JSON.stringify(r.traceId)} is not 16 or 32 hex characters`;
  const spanId = normalizeSpanId(r.id);
  if (spanId === undefined) return `id ${JSON.stringify(r.id)} is not 16 hex characters`;
  const parent = parentIdOf(r.parentId);
  if (parent.bad) sink.warn(`zipkin-v1: unreadable parentId values ignored (the spans were kept as roots)`);
  const recStart = optionalMicros(r.timestamp);
  const recDuration = optionalMicros(r.duration);
  const halves = halvesOf(r);
  const operation = typeof r.name === 'string' && r.name !== '' ? r.name : UNKNOWN;

  return halves.map((h) => {
    // The record's own timing belongs to the span's creator: the client when there is one.
    const owner = halves.length === 1 || h.kind === 'client';
    const start = h.start !== undefined && h.start > 0 ? h.start : owner ? recStart : undefined;
    const duration =
      h.start !== undefined && h.end !== undefined && h.end >= h.start
        ? h.end - h.start
        : owner
          ? recDuration
          : undefined;
    let service = h.endpoint?.serviceName;
    if (service === undefined) {
      service = UNKNOWN;
      sink.warn(`zipkin-v1: spans without an endpoint serviceName read with service '${UNKNOWN}'`);
    }
    const { error, statusMessage } = errorOf(h.attributes);
    const span: RawSpan = {
      traceId,
      spanId,
      parentId: parent.id === spanId ? undefined : parent.id,
      service,
      operation,
      kind: h.kind,
      start,
      duration,
      error,
      attributes: h.attributes,
      resource: {},
      events: h.events,
    };
    if (statusMessage !== undefined) span.statusMessage = statusMessage;
    if (h.endpoint?.instance !== undefined) span.instance = h.endpoint.instance;
    if (h.kind === 'server') span.shared = true;
    return span;
  });
}

/** v1 shape: annotations carrying endpoints or core values, or binaryAnnotations; never v2's fields. */
function isV1Record(r: Record<string, unknown>): boolean {
  if ('localEndpoint' in r || 'remoteEndpoint' in r || 'kind' in r || 'tags' in r || 'shared' in r)
    return false;
  if (Array.isArray(r.binaryAnnotations)) return true;
  if (!Array.isArray(r.annotations)) return false;
  return r.annotations.some((a) => isObject(a) && (isObject(a.endpoint) || CORE.has(textOf(a.value))));
}

export const zipkinV1: JsonFormat = {
  name: 'zipkin-v1',
  matches(doc: unknown): boolean {
    const first = firstRecord(doc);
    if (first === undefined) return false;
    if (isV1Record(first)) return true;
    // The first record can be bare (no annotations at all); look at a few more before deciding.
    const list = Array.isArray(doc) ? (Array.isArray(doc[0]) ? doc[0] : doc) : [];
    let sawV2 = false;
    let sawV1 = false;
    for (let i = 0; i < Math.min(list.length, 20); i++) {
      const r = list[i];
      if (!isObject(r)) continue;
      if ('localEndpoint' in r || 'kind' in r || 'tags' in r) sawV2 = true;
      else if (isV1Record(r)) sawV1 = true;
    }
    return sawV1 && !sawV2;
  },
  read(doc: unknown, sink: SpanSink, where: string): void {
    forEachRecord(
      doc,
      where,
      (at, msg) => sink.skip(at, msg),
      (record, at) => {
        const spans = zipkinV1Spans(record, sink);
        if (typeof spans === 'string') sink.skip(at, spans);
        else for (const s of spans) sink.span(s);
      },
    );
  },
};
