/**
 * Jaeger v1 JSON, as the query service's `GET /api/traces` answers after Jaeger translated OTLP spans: a
 * process per pod, typed tags, `span.kind` and `otel.status_code` tags, events as logs.
 */
import type { AttrValue, SimSpan, SimTrace } from '../model.js';

type Tag = { key: string; type: string; value: string | number | boolean };

function tag(key: string, v: AttrValue): Tag {
  if (typeof v === 'string') return { key, type: 'string', value: v };
  if (typeof v === 'boolean') return { key, type: 'bool', value: v };
  return Number.isInteger(v) ? { key, type: 'int64', value: v } : { key, type: 'float64', value: v };
}

const tags = (o: Record<string, AttrValue>) => Object.entries(o).map(([k, v]) => tag(k, v));
const micros = (us: number, skew: number) => Math.round(us + skew);

function jaegerSpan(traceId: string, s: SimSpan, processID: string) {
  const t = tags(s.attributes);
  if (s.kind !== 'internal') t.push(tag('span.kind', s.kind));
  if (s.status === 'error') {
    t.push(tag('otel.status_code', 'ERROR'), tag('error', true));
    if (s.statusMessage) t.push(tag('otel.status_description', s.statusMessage));
  }
  const start = micros(s.start, s.instance.skewUs);
  return {
    traceID: traceId,
    spanID: s.spanId,
    operationName: s.name,
    references: s.parentId ? [{ refType: 'CHILD_OF', traceID: traceId, spanID: s.parentId }] : [],
    startTime: start,
    duration: micros(s.end, s.instance.skewUs) - start,
    tags: t,
    logs: s.events.map((e) => ({
      timestamp: micros(e.time, s.instance.skewUs),
      fields: [tag('event', e.name), ...tags(e.attributes)],
    })),
    processID,
    warnings: null,
  };
}

/** The query API's answer: `{"data": [trace, ...]}`. */
export function toJaegerV1(traces: readonly SimTrace[]): object {
  return {
    data: traces.map((t) => {
      const processes: Record<string, { serviceName: string; tags: Tag[] }> = {};
      const ids = new Map<string, string>();
      const spans = t.spans.map((s) => {
        let pid = ids.get(s.instance.pod);
        if (!pid) {
          pid = `p${ids.size + 1}`;
          ids.set(s.instance.pod, pid);
          const { 'service.name': _name, ...rest } = s.instance.resource;
          processes[pid] = { serviceName: s.instance.service, tags: tags(rest) };
        }
        return jaegerSpan(t.traceId, s, pid);
      });
      return { traceID: t.traceId, spans, processes, warnings: null };
    }),
    total: 0,
    limit: 0,
    offset: 0,
    errors: null,
  };
}
