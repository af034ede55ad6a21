import type { Attributes, RawSpan, SpanKind } from '../trace/span.js';
import { normalizeSpanId, normalizeTraceId } from '../trace/ids.js';
import type { JsonFormat, SpanSink } from './types.js';
import { isObject, toInt } from './json-util.js';
import {
  errorOf,
  firstRecord,
  forEachRecord,
  optionalMicros,
  parentIdOf,
  readEndpoint,
} from './zipkin-common.js';

/**
 * Zipkin v2 JSON: one span object, a list of spans (`/api/v2/trace/{id}`, `POST /api/v2/spans`) or a list
 * of traces (`/api/v2/traces`).
 *
 * Decisions worth knowing:
 * - timestamp/duration may be absent (Zipkin allows it, e.g. for late-reported halves); they stay undefined
 *   and the infer-timing adjuster fills them from the tree.
 * - A span without `localEndpoint.serviceName` gets the service 'unknown' and a warning. The remote
 *   endpoint names the peer, not the span's own process, so it is not used as a fallback; it is kept as
 *   the `peer.service` attribute instead.
 * - `shared: true` marks the server half of an RPC whose id the client half also uses; the dedupe
 *   adjuster gives it its own id under the client.
 * - Tags are string to string on the wire; other JSON scalars are tolerated and kept as they are.
 */

const KINDS: Record<string, SpanKind> = {
  CLIENT: 'client',
  SERVER: 'server',
  PRODUCER: 'producer',
  CONSUMER: 'consumer',
};

export const UNKNOWN = 'unknown';

function readTags(v: unknown, into: Attributes): void {
  if (!isObject(v)) return;
  for (const key in v) {
    const value = v[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      into[key] = value;
    else if (value !== null && value !== undefined) into[key] = JSON.stringify(value);
  }
}

type Rejected = { message: string; reason?: string };

/** Converts one v2 record; returns why instead when the record cannot be a span. */
function zipkinV2Span(r: Record<string, unknown>, sink: SpanSink): RawSpan | Rejected {
  const traceId = normalizeTraceId(r.traceId);
  if (traceId === undefined)
    return { message: `traceId ${JSON.stringify(r.traceId)} is not 16 or 32 hex characters` };
  const spanId = normalizeSpanId(r.id);
  if (spanId === undefined) return { message: `id ${JSON.stringify(r.id)} is not 16 hex characters` };
  for (const key of ['timestamp', 'duration'] as const) {
    const v = r[key];
    // Absent is allowed (infer-timing fills it); present, it must be a number of µs.
    if (v !== undefined && v !== null && toInt(v) === undefined)
      return {
        message: `${key} ${JSON.stringify(v)} is not a number of microseconds`,
        reason: 'time_unreadable',
      };
  }
  const parent = parentIdOf(r.parentId);
  if (parent.bad) sink.warn(`zipkin-v2: unreadable parentId values ignored (the spans were kept as roots)`);

  let kind: SpanKind = 'internal';
  if (r.kind !== undefined && r.kind !== null) {
    const k = typeof r.kind === 'string' ? KINDS[r.kind.toUpperCase()] : undefined;
    if (k) kind = k;
    else sink.warn(`zipkin-v2: unknown span kind ${JSON.stringify(r.kind)} read as internal`);
  }

  const local = readEndpoint(r.localEndpoint);
  let service = local?.serviceName;
  if (service === undefined) {
    service = UNKNOWN;
    sink.warn(`zipkin-v2: spans without localEndpoint.serviceName read with service '${UNKNOWN}'`);
  }

  const attributes: Attributes = {};
  readTags(r.tags, attributes);
  const remote = readEndpoint(r.remoteEndpoint);
  if (remote?.serviceName !== undefined && attributes['peer.service'] === undefined)
    attributes['peer.service'] = remote.serviceName;
  if (remote?.instance !== undefined && attributes['net.peer.address'] === undefined)
    attributes['net.peer.address'] = remote.instance;

  const { error, statusMessage } = errorOf(attributes);
  const span: RawSpan = {
    traceId,
    spanId,
    parentId: parent.id === spanId ? undefined : parent.id,
    service,
    operation: typeof r.name === 'string' && r.name !== '' ? r.name : UNKNOWN,
    kind,
    start: optionalMicros(r.timestamp),
    duration: optionalMicros(r.duration),
    error,
    attributes,
    resource: {},
    events: Array.isArray(r.annotations) ? r.annotations.length : 0,
  };
  if (statusMessage !== undefined) span.statusMessage = statusMessage;
  if (local?.instance !== undefined) span.instance = local.instance;
  if (r.shared === true) span.shared = true;
  return span;
}

export const zipkinV2: JsonFormat = {
  name: 'zipkin-v2',
  matches(doc: unknown): boolean {
    return firstRecord(doc) !== undefined;
  },
  // A POST of `[]` is an empty (valid) batch; a list with bad records has them skipped one by one.
  accepts: (doc) => Array.isArray(doc) || firstRecord(doc) !== undefined,
  read(doc: unknown, sink: SpanSink, where: string): void {
    forEachRecord(
      doc,
      where,
      (at, msg) => sink.skip(at, msg),
      (record, at) => {
        const span = zipkinV2Span(record, sink);
        if ('message' in span) sink.skip(at, span.message, span.reason);
        else sink.span(span);
      },
    );
  },
};
