import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import { isObject } from './json-util.js';
import { otlpSpanId, otlpTraceId } from './otlp-json.js';

/**
 * OTLP ExportTraceServiceRequest protobuf <-> the OTLP JSON shape that otlp-json.ts reads (ids as hex,
 * `*UnixNano` as decimal strings, enums as integers, AnyValue with the same keys as in JSON).
 *
 * The schema is written here as protobufjs reflection JSON holding only what a trace export needs; field
 * numbers follow opentelemetry-proto's trace.proto, common.proto, resource.proto and trace_service.proto.
 * Enums are declared as int32 (same wire encoding), so decoded kinds and status codes are plain numbers.
 * `instrumentationLibrarySpans` (field 1000, reserved since OTLP 1.0) is kept for old exporters.
 */

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const field = (type: string, id: number) => ({ type, id });

const SCHEMA = {
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: { fields: { resourceSpans: repeated('ResourceSpans', 1) } },
        ExportTraceServiceResponse: { fields: { partialSuccess: field('ExportTracePartialSuccess', 1) } },
        ExportTracePartialSuccess: {
          fields: { rejectedSpans: field('int64', 1), errorMessage: field('string', 2) },
        },
        // google.rpc.Status: what an OTLP/HTTP server answers a protobuf request with on an error.
        RpcStatus: { fields: { code: field('int32', 1), message: field('string', 2) } },
        ResourceSpans: {
          fields: {
            resource: field('Resource', 1),
            scopeSpans: repeated('ScopeSpans', 2),
            schemaUrl: field('string', 3),
            instrumentationLibrarySpans: repeated('ScopeSpans', 1000),
          },
        },
        Resource: {
          fields: { attributes: repeated('KeyValue', 1), droppedAttributesCount: field('uint32', 2) },
        },
        ScopeSpans: {
          fields: {
            scope: field('InstrumentationScope', 1),
            spans: repeated('Span', 2),
            schemaUrl: field('string', 3),
          },
        },
        InstrumentationScope: {
          fields: {
            name: field('string', 1),
            version: field('string', 2),
            attributes: repeated('KeyValue', 3),
            droppedAttributesCount: field('uint32', 4),
          },
        },
        Span: {
          fields: {
            traceId: field('bytes', 1),
            spanId: field('bytes', 2),
            traceState: field('string', 3),
            parentSpanId: field('bytes', 4),
            name: field('string', 5),
            kind: field('int32', 6),
            startTimeUnixNano: field('fixed64', 7),
            endTimeUnixNano: field('fixed64', 8),
            attributes: repeated('KeyValue', 9),
            droppedAttributesCount: field('uint32', 10),
            events: repeated('Event', 11),
            droppedEventsCount: field('uint32', 12),
            links: repeated('Link', 13),
            droppedLinksCount: field('uint32', 14),
            status: field('Status', 15),
            flags: field('fixed32', 16),
          },
        },
        Event: {
          fields: {
            timeUnixNano: field('fixed64', 1),
            name: field('string', 2),
            attributes: repeated('KeyValue', 3),
            droppedAttributesCount: field('uint32', 4),
          },
        },
        Link: {
          fields: {
            traceId: field('bytes', 1),
            spanId: field('bytes', 2),
            traceState: field('string', 3),
            attributes: repeated('KeyValue', 4),
            droppedAttributesCount: field('uint32', 5),
            flags: field('fixed32', 6),
          },
        },
        Status: { fields: { message: field('string', 2), code: field('int32', 3) } },
        AnyValue: {
          oneofs: {
            value: {
              oneof: [
                'stringValue',
                'boolValue',
                'intValue',
                'doubleValue',
                'arrayValue',
                'kvlistValue',
                'bytesValue',
              ],
            },
          },
          fields: {
            stringValue: field('string', 1),
            boolValue: field('bool', 2),
            intValue: field('int64', 3),
            doubleValue: field('double', 4),
            arrayValue: field('ArrayValue', 5),
            kvlistValue: field('KeyValueList', 6),
            bytesValue: field('bytes', 7),
          },
        },
        ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
        KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
        KeyValue: { fields: { key: field('string', 1), value: field('AnyValue', 2) } },
      },
    },
  },
};

let root: Protobuf.Root | undefined;

/**
 * protobufjs (over a hundred modules) is loaded on the first protobuf payload, not with every reader: a
 * command reading JSON files would otherwise pay for it at start-up.
 */
function type(name: string): Protobuf.Type {
  if (!root) {
    const protobuf = createRequire(import.meta.url)('protobufjs') as typeof Protobuf;
    root = protobuf.Root.fromJSON(SCHEMA);
  }
  return root.lookupType(name);
}
const Request = () => type('otlp.ExportTraceServiceRequest');
const Response = () => type('otlp.ExportTraceServiceResponse');
const RpcStatus = () => type('otlp.RpcStatus');

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** An ExportTraceServiceResponse; full success is the empty message (zero bytes). */
export function encodeOtlpResponse(partial?: PartialSuccess): Uint8Array {
  // Every push that succeeds whole answers this: no need to load protobufjs for it.
  if (!partial) return new Uint8Array(0);
  return Response()
    .encode(Response().fromObject(partial ? { partialSuccess: partial } : {}))
    .finish();
}

export function decodeOtlpResponse(buf: Uint8Array): { partialSuccess?: PartialSuccess } {
  return Response().toObject(Response().decode(buf), { longs: Number, defaults: false }) as {
    partialSuccess?: PartialSuccess;
  };
}

/** A google.rpc.Status (gRPC code and message) for an error reply to a protobuf request. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return RpcStatus().encode(RpcStatus().fromObject({ code, message })).finish();
}

const TO_OBJECT: Protobuf.IConversionOptions = {
  longs: String,
  enums: Number,
  bytes: String,
  defaults: false,
};

const NOT_OTLP = 'not an OTLP ExportTraceServiceRequest';

type Obj = Record<string, unknown>;

function each(list: unknown, fn: (item: Obj, i: number) => void): void {
  if (Array.isArray(list)) for (let i = 0; i < list.length; i++) if (isObject(list[i])) fn(list[i], i);
}

function b64ToHex(v: unknown): string {
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('hex') : '';
}

/**
 * Decodes an ExportTraceServiceRequest. Throws an Error saying why on anything else: protobuf has no magic
 * number, so random bytes can decode "successfully" into unknown fields; requiring resource spans and at
 * least one span with well-sized ids tells a trace export from noise. When the sender said the body is
 * OTLP protobuf (`declared`), resource spans without spans are valid and ids are left to the per-span
 * checks; the empty export (zero bytes) is the caller's to accept.
 */
export function decodeOtlpProto(buf: Uint8Array, opts: { declared?: boolean } = {}): unknown {
  let doc: Obj;
  try {
    doc = Request().toObject(Request().decode(buf), TO_OBJECT);
  } catch (err) {
    throw new Error(`${NOT_OTLP}: ${(err as Error).message}`);
  }
  const rs = doc.resourceSpans;
  if (!Array.isArray(rs) || rs.length === 0) throw new Error(`${NOT_OTLP}: it holds no resourceSpans`);
  let spans = 0;
  let wellFormed = 0;
  each(rs, (r) => {
    if (r.scopeSpans === undefined && r.instrumentationLibrarySpans !== undefined) {
      r.scopeSpans = r.instrumentationLibrarySpans;
    }
    delete r.instrumentationLibrarySpans;
    each(r.scopeSpans, (sc) =>
      each(sc.spans, (s) => {
        spans++;
        s.traceId = b64ToHex(s.traceId);
        s.spanId = b64ToHex(s.spanId);
        if (s.parentSpanId !== undefined) s.parentSpanId = b64ToHex(s.parentSpanId);
        each(s.links, (l) => {
          l.traceId = b64ToHex(l.traceId);
          l.spanId = b64ToHex(l.spanId);
        });
        if ((s.traceId as string).length === 32 && (s.spanId as string).length === 16) wellFormed++;
      }),
    );
  });
  if (opts.declared) return doc;
  if (spans === 0) throw new Error(`${NOT_OTLP}: it holds no spans`);
  if (wellFormed === 0) throw new Error(`${NOT_OTLP}: no span has a 16-byte trace id and an 8-byte span id`);
  return doc;
}

const KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_NAMES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

function enumValue(v: unknown, names: Record<string, number>): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string')
    return Object.hasOwn(names, v) ? names[v] : /^\d+$/.test(v) ? Number(v) : undefined;
  return undefined;
}

function idBytes(v: unknown, width: 16 | 32, path: string, optional: boolean): Buffer | undefined {
  if (optional && (v === undefined || v === null || v === '')) return undefined;
  const hex = width === 32 ? otlpTraceId(v) : otlpSpanId(v);
  if (hex === undefined) throw new Error(`encodeOtlpProto: ${path} ${JSON.stringify(v)} is not a hex id`);
  return Buffer.from(hex, 'hex');
}

/**
 * A JSON number of nanoseconds above 2^53 is already off by up to a few hundred ns; it is put on the
 * nearest µs, as the JSON reader does, so both paths give the same span.
 */
function nanos(v: unknown): unknown {
  if (typeof v !== 'number' || Number.isSafeInteger(v) || !Number.isFinite(v) || v < 0) return v;
  return `${Math.round(v / 1000)}000`;
}

/** Copies a span with ids as bytes and enums as numbers, the forms protobufjs' fromObject expects. */
function spanForProto(s: Obj, path: string): Obj {
  const out: Obj = {};
  for (const k of Object.keys(s)) out[k] = s[k];
  out.traceId = idBytes(s.traceId, 32, `${path}.traceId`, false);
  out.spanId = idBytes(s.spanId, 16, `${path}.spanId`, false);
  out.parentSpanId = idBytes(s.parentSpanId, 16, `${path}.parentSpanId`, true);
  out.kind = enumValue(s.kind, KIND_NAMES);
  out.startTimeUnixNano = nanos(s.startTimeUnixNano);
  out.endTimeUnixNano = nanos(s.endTimeUnixNano);
  if (isObject(s.status))
    out.status = { message: s.status.message, code: enumValue(s.status.code, STATUS_NAMES) };
  if (Array.isArray(s.links)) {
    out.links = s.links.map((l, i) => {
      if (!isObject(l)) return l;
      const c: Obj = {};
      for (const k of Object.keys(l)) c[k] = l[k];
      c.traceId = idBytes(l.traceId, 32, `${path}.links[${i}].traceId`, false);
      c.spanId = idBytes(l.spanId, 16, `${path}.links[${i}].spanId`, false);
      return c;
    });
  }
  return out;
}

/**
 * Encodes the OTLP JSON shape (`{"resourceSpans":[...]}`, or the api_v3 `{"result":...}` wrapper) as an
 * ExportTraceServiceRequest. Throws on ids that are not hex (or base64) of the right size.
 */
export function encodeOtlpProto(doc: unknown): Uint8Array {
  const src = isObject(doc) && isObject(doc.result) ? doc.result : doc;
  if (!isObject(src) || !Array.isArray(src.resourceSpans)) {
    throw new Error('encodeOtlpProto: expected an object with a resourceSpans list');
  }
  const resourceSpans = src.resourceSpans.map((r, i) => {
    if (!isObject(r)) return r;
    const scopes = r.scopeSpans ?? r.instrumentationLibrarySpans;
    return {
      resource: r.resource,
      schemaUrl: r.schemaUrl,
      scopeSpans: Array.isArray(scopes)
        ? scopes.map((sc, j) => {
            if (!isObject(sc)) return sc;
            const spans = Array.isArray(sc.spans)
              ? sc.spans.map((s, k) =>
                  isObject(s) ? spanForProto(s, `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`) : s,
                )
              : sc.spans;
            return { scope: sc.scope ?? sc.instrumentationLibrary, spans, schemaUrl: sc.schemaUrl };
          })
        : scopes,
    };
  });
  return Request().encode(Request().fromObject({ resourceSpans })).finish();
}
