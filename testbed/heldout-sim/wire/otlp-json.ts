/**
 * OTLP JSON (ExportTraceServiceRequest), as the SDKs' OTLP/HTTP JSON exporters and the Collector's file
 * exporter write it: hex ids, nanoseconds as strings, enums as integers, spans grouped by resource and scope.
 * Written by hand: the SDK's serializer wants live SDK spans with its own ids and clock, which a generator
 * that sets every timestamp cannot hand it.
 */
import type { AttrValue, Instance, SimSpan, SimTrace } from '../model.js';

const KIND: Record<SimSpan['kind'], number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const STATUS: Record<SimSpan['status'], number> = { unset: 0, ok: 1, error: 2 };

type AnyValue =
  { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

function anyValue(v: AttrValue): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

const attrs = (o: Record<string, AttrValue>) =>
  Object.entries(o).map(([key, v]) => ({ key, value: anyValue(v) }));

/** ns since the epoch as a decimal string, on the clock of the node that recorded the span. */
export const nanos = (us: number, inst: Instance) => `${Math.round(us + inst.skewUs)}000`;

/** The instrumentation library that would have written a span. */
export function scopeOf(s: SimSpan): string {
  const a = s.attributes;
  if (a['rpc.system']) return 'grpc';
  if (a['messaging.system']) return 'kafka';
  if (a['db.system.name'] ?? a['db.system']) return String(a['db.system.name'] ?? a['db.system']);
  if (a['http.request.method'] ?? a['http.method']) return 'http';
  if (s.name.startsWith('middleware') || s.name.startsWith('request handler')) return 'express';
  return 'manual';
}

function otlpSpan(traceId: string, s: SimSpan) {
  return {
    traceId,
    spanId: s.spanId,
    ...(s.parentId ? { parentSpanId: s.parentId } : {}),
    name: s.name,
    kind: KIND[s.kind],
    startTimeUnixNano: nanos(s.start, s.instance),
    endTimeUnixNano: nanos(s.end, s.instance),
    attributes: attrs(s.attributes),
    events: s.events.map((e) => ({
      timeUnixNano: nanos(e.time, s.instance),
      name: e.name,
      attributes: attrs(e.attributes),
    })),
    status: { code: STATUS[s.status], ...(s.statusMessage ? { message: s.statusMessage } : {}) },
  };
}

/** One ExportTraceServiceRequest holding the given traces. */
export function toOtlpJson(traces: readonly SimTrace[]): object {
  const byPod = new Map<string, { inst: Instance; scopes: Map<string, object[]> }>();
  for (const t of traces)
    for (const s of t.spans) {
      let pod = byPod.get(s.instance.pod);
      if (!pod) byPod.set(s.instance.pod, (pod = { inst: s.instance, scopes: new Map() }));
      const scope = scopeOf(s);
      let list = pod.scopes.get(scope);
      if (!list) pod.scopes.set(scope, (list = []));
      list.push(otlpSpan(t.traceId, s));
    }
  return {
    resourceSpans: [...byPod.values()].map((p) => ({
      resource: { attributes: attrs(p.inst.resource) },
      scopeSpans: [...p.scopes.entries()].map(([name, spans]) => ({
        scope: { name: `ridehail/instrumentation-${name}` },
        spans,
      })),
    })),
  };
}
