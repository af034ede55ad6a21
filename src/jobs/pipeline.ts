import type { Trace } from '../trace/trace.js';
import { endpointOf } from '../trace/trace.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import type { ModelCache } from '../registry/redis-registry.js';
import type { AnomalyStore } from '../store/anomalies.js';
import type { TraceReservoir } from '../store/reservoir.js';
import type { Anomaly, CompactSpan } from '../store/anomaly-record.js';
import { isoFromMicros } from '../scoring/model-set.js';

export interface PipelineDeps {
  models: ModelCache;
  anomalies: AnomalyStore;
  reservoir: TraceReservoir;
  minTrainingTraces: number;
  /** Called with each stored anomaly (webhooks). */
  notify?: (a: Anomaly) => Promise<void>;
  /** Called when an endpoint without a model has gathered enough traffic to train one. */
  coldStart?: (endpoint: string) => Promise<void>;
  now?: () => number;
}

export interface BatchResult {
  scored: number;
  anomalies: number;
  withoutModel: number;
}

function compactSpans(t: Trace): CompactSpan[] {
  return t.spans.map((s) => ({
    spanId: s.spanId,
    parentId: s.parentId,
    service: s.service,
    operation: s.operation,
    instance: s.instance,
    start: s.start,
    duration: s.duration,
    error: s.error,
  }));
}

/**
 * Before an endpoint has a model only what needs no training is reported: a trace whose spans say they
 * failed. Its root cause is the error span no failing child explains.
 */
export function errorOnly(t: Trace): ScoredTrace {
  const { service, operation } = endpointOf(t);
  const origins = t.spans.filter((s, i) => s.error && !t.children[i].some((c) => t.spans[c].error));
  return {
    traceId: t.traceId,
    service,
    operation,
    startTime: isoFromMicros(t.start),
    durationMs: (t.end - t.start) / 1000,
    spanCount: t.spans.length,
    score: origins.length ? 1 : 0,
    anomalous: origins.length > 0,
    detectors: { errors: origins.length ? 1 : 0 },
    rootCauses: origins.slice(0, 3).map((s) => ({
      service: s.service,
      operation: s.operation,
      instance: s.instance,
      kind: 'error' as const,
      contribution: 1 / Math.min(3, origins.length),
      evidence: `${s.service}:${s.operation} failed${s.statusMessage ? ` ("${s.statusMessage}")` : ''} and no call it made did`,
    })),
  };
}

/**
 * The scoring workers' job: score a batch with each endpoint's active model, keep anomalies with everything
 * an engineer needs, feed the training reservoir, and trigger training for endpoints that have none yet.
 */
export async function scoreBatch(
  traces: Trace[],
  deps: PipelineDeps,
  ctx: { source?: string; link?: (traceId: string) => string | undefined } = {},
): Promise<BatchResult> {
  const byEndpoint = new Map<string, Trace[]>();
  for (const t of traces) {
    const { service, operation } = endpointOf(t);
    const key = `${service}:${operation}`;
    let g = byEndpoint.get(key);
    if (!g) byEndpoint.set(key, (g = []));
    g.push(t);
  }
  const result: BatchResult = { scored: 0, anomalies: 0, withoutModel: 0 };
  const detectedAt = new Date((deps.now ?? Date.now)()).toISOString();
  for (const [endpoint, group] of byEndpoint) {
    const model = await deps.models.get(endpoint);
    const scored = model ? model.score(group) : group.map(errorOnly);
    if (!model) result.withoutModel += group.length;
    result.scored += group.length;
    await deps.anomalies.noteScored(
      scored.map((s) => ({ service: s.service, operation: s.operation, anomalous: s.anomalous })),
    );
    // Anomalies stay out of the training sample, so retraining does not learn the fault as normal.
    await deps.reservoir.addTraces(group.filter((_, i) => !scored[i].anomalous));
    for (let i = 0; i < group.length; i++) {
      const s = scored[i];
      if (!s.anomalous) continue;
      const anomaly: Anomaly = {
        ...s,
        id: s.traceId,
        detectedAt,
        source: ctx.source,
        link: ctx.link?.(s.traceId),
        spans: compactSpans(group[i]),
      };
      const { created } = await deps.anomalies.put(anomaly);
      result.anomalies++;
      if (created) await deps.notify?.(anomaly);
    }
    if (!model && (await deps.reservoir.size(endpoint)) >= deps.minTrainingTraces)
      await deps.coldStart?.(endpoint);
  }
  return result;
}
