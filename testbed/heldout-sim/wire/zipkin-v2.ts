/**
 * Zipkin v2 JSON, as OpenTelemetry's Zipkin exporter writes it: one list of spans, string tags (resource
 * attributes included), `otel.status_code` and `error` tags, events as annotations.
 */
import type { AttrValue, SimSpan, SimTrace } from '../model.js';

const KIND: Record<SimSpan['kind'], string | undefined> = {
  server: 'SERVER',
  client: 'CLIENT',
  producer: 'PRODUCER',
  consumer: 'CONSUMER',
  internal: undefined,
};

function stringTags(...objs: Record<string, AttrValue>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of objs) for (const [k, v] of Object.entries(o)) out[k] = String(v);
  return out;
}

function zipkinSpan(traceId: string, s: SimSpan) {
  const tags = stringTags(s.attributes, s.instance.resource);
  delete tags['service.name'];
  if (s.status === 'error') {
    tags['otel.status_code'] = 'ERROR';
    tags['error'] = s.statusMessage ?? '';
  }
  const start = Math.round(s.start + s.instance.skewUs);
  return {
    traceId,
    id: s.spanId,
    ...(s.parentId ? { parentId: s.parentId } : {}),
    name: s.name,
    ...(KIND[s.kind] ? { kind: KIND[s.kind] } : {}),
    timestamp: start,
    duration: Math.max(1, Math.round(s.end + s.instance.skewUs) - start),
    localEndpoint: { serviceName: s.instance.service },
    tags,
    annotations: s.events.map((e) => ({
      timestamp: Math.round(e.time + s.instance.skewUs),
      value: `${e.name}: ${JSON.stringify(e.attributes)}`,
    })),
  };
}

export function toZipkinV2(traces: readonly SimTrace[]): object[] {
  return traces.flatMap((t) => t.spans.map((s) => zipkinSpan(t.traceId, s)));
}
