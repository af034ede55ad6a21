/**
 * Writes spans as Jaeger's legacy v1 JSON (the query API and UI format): one trace object per trace with a
 * `processes` map that spans point into by `processID`, parents as CHILD_OF references, typed tags, and
 * µs times. Status goes both ways Jaeger's own OTLP translator writes it (`error` and `otel.status_*`).
 */
import type { AttributeValue, Span } from '../../trace/span.js';

export interface JaegerTag {
  key: string;
  type: 'string' | 'bool' | 'int64' | 'float64';
  value: string | number | boolean;
}

export interface JaegerSpanOut {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: JaegerTag[];
  logs: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
  warnings: null;
  flags: number;
}

export interface JaegerTraceOut {
  traceID: string;
  spans: JaegerSpanOut[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
  warnings: null;
}

export interface JaegerEnvelope<T> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: { code?: number; msg: string; traceID?: string }[] | null;
}

export function jaegerTag(key: string, v: AttributeValue): JaegerTag {
  if (typeof v === 'boolean') return { key, type: 'bool', value: v };
  if (typeof v === 'number')
    return Number.isInteger(v) ? { key, type: 'int64', value: v } : { key, type: 'float64', value: v };
  if (Array.isArray(v)) return { key, type: 'string', value: JSON.stringify(v) };
  return { key, type: 'string', value: v };
}

/** One trace object (the items of `data`). Spans are expected to share one trace id. */
export function toJaegerTrace(spans: Span[]): JaegerTraceOut {
  const processes: JaegerTraceOut['processes'] = {};
  const procIds = new Map<string, string>();
  const out: JaegerSpanOut[] = [];
  for (const s of spans) {
    const pk = `${s.service}\u0000${s.instance ?? ''}`;
    let pid = procIds.get(pk);
    if (pid === undefined) {
      pid = `p${procIds.size + 1}`;
      procIds.set(pk, pid);
      const tags: JaegerTag[] = [];
      for (const k in s.resource) if (k !== 'service.name') tags.push(jaegerTag(k, s.resource[k]));
      processes[pid] = { serviceName: s.service, tags };
    }
    const tags: JaegerTag[] = [];
    for (const k in s.attributes) tags.push(jaegerTag(k, s.attributes[k]));
    tags.push({ key: 'span.kind', type: 'string', value: s.kind });
    if (s.error) {
      tags.push({ key: 'error', type: 'bool', value: true });
      tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
      if (s.statusMessage !== undefined)
        tags.push({ key: 'otel.status_description', type: 'string', value: s.statusMessage });
    }
    const references: JaegerSpanOut['references'] = [];
    if (s.parentId !== undefined)
      references.push({ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentId });
    if (s.links)
      for (const l of s.links) references.push({ refType: 'FOLLOWS_FROM', traceID: s.traceId, spanID: l });
    const logs: JaegerSpanOut['logs'] = [];
    for (let i = 0; i < s.events; i++) {
      logs.push({
        timestamp: s.start + s.duration,
        fields: [{ key: 'event', type: 'string', value: s.error ? 'exception' : 'event' }],
      });
    }
    out.push({
      traceID: s.traceId,
      spanID: s.spanId,
      operationName: s.operation,
      references,
      startTime: s.start,
      duration: s.duration,
      tags,
      logs,
      processID: pid,
      warnings: null,
      flags: 1,
    });
  }
  return { traceID: spans[0]?.traceId ?? '', spans: out, processes, warnings: null };
}

export function jaegerEnvelope<T>(data: T, errors: JaegerEnvelope<T>['errors'] = null): JaegerEnvelope<T> {
  return { data, total: Array.isArray(data) ? data.length : 0, limit: 0, offset: 0, errors };
}

/** The whole `{"data":[...]}` document, for small outputs (large ones go through the stream writer). */
export function toJaegerDocument(traces: Span[][]): JaegerEnvelope<JaegerTraceOut[]> {
  return jaegerEnvelope(traces.filter((t) => t.length > 0).map(toJaegerTrace));
}
