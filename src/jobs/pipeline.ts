import type { Trace } from '../trace/trace.js';
import type { BaselineModel } from '../detectors/baseline/model.js';
import { endpointOf } from '../trace/trace.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import type { ModelCache } from '../registry/redis-registry.js';
import type { AnomalyStore } from '../store/anomalies.js';
import type { TraceReservoir } from '../store/reservoir.js';
import type { Anomaly, CompactSpan } from '../store/anomaly-record.js';
import { isoFromMicros } from '../scoring/model-set.js';
import { extractProfile, type TraceProfile } from '../features/profile.js';
import { ShiftEvidence } from '../incidents/shift-evidence.js';
import { minuteOf } from '../incidents/signal.js';
import type { EvidenceStore, MinuteEvidence } from '../store/incident-evidence.js';
import { batchId, type AggregateStore } from '../store/aggregates.js';

export interface PipelineDeps {
  models: ModelCache;
  anomalies: AnomalyStore;
  reservoir: TraceReservoir;
  minTrainingTraces: number;
  /** Called with each stored anomaly (webhooks). */
  notify?: (a: Anomaly) => Promise<void>;
  /** Called when an endpoint without a model has gathered enough traffic to train one. */
  coldStart?: (endpoint: string) => Promise<void>;
  /** Per-minute shift evidence for incident root causes (endpoints with a model only). */
  evidence?: Pick<EvidenceStore, 'put'>;
  /** Per-minute aggregates (topology, quality, aggregate signals) of every scored trace. */
  aggregates?: Pick<AggregateStore, 'record'>;
  now?: () => number;
}

export interface BatchResult {
  scored: number;
  anomalies: number;
  withoutModel: number;
  /** Traces left out of the incident evidence because it could not read them. */
  evidenceSkipped: number;
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
  const result: BatchResult = { scored: 0, anomalies: 0, withoutModel: 0, evidenceSkipped: 0 };
  const detectedAt = new Date((deps.now ?? Date.now)()).toISOString();
  const evidence = new Map<number, MinuteEvidence>();
  const recorded = { traces: [] as Trace[], scored: [] as ScoredTrace[] };
  for (const [endpoint, group] of byEndpoint) {
    const model = await deps.models.get(endpoint);
    // Evidence needs the profiles scoring extracts: extracted once for both.
    const profiles = model && deps.evidence ? group.map((t) => extractProfile(t)) : undefined;
    const scored = model ? model.score(group, { profiles }) : group.map(errorOnly);
    if (!model) result.withoutModel += group.length;
    result.scored += group.length;
    await deps.anomalies.noteScored(
      scored.map((s) => ({ service: s.service, operation: s.operation, anomalous: s.anomalous })),
    );
    // Anomalies stay out of the training sample, so retraining does not learn the fault as normal.
    await deps.reservoir.addTraces(group.filter((_, i) => !scored[i].anomalous));
    if (deps.evidence)
      result.evidenceSkipped += addEvidence(
        evidence,
        group,
        scored,
        model && profiles && { profiles, model },
      );
    if (deps.aggregates) {
      recorded.traces.push(...group);
      recorded.scored.push(...scored);
    }
    const found: Anomaly[] = [];
    for (let i = 0; i < group.length; i++) {
      const s = scored[i];
      if (!s.anomalous) continue;
      found.push({
        ...s,
        id: s.traceId,
        detectedAt,
        source: ctx.source,
        link: ctx.link?.(s.traceId),
        spans: compactSpans(group[i]),
      });
    }
    // Distinct ids, so the writes cannot conflict and go out together. Every stored anomaly is notified,
    // not only new ones: a worker killed between storing and notifying is re-run, finds the record there
    // already, and must still send what it never sent; the delivery's id (the anomaly's) dedupes the rest.
    await Promise.all(
      found.map(async (a) => {
        const { record } = await deps.anomalies.put(a);
        await deps.notify?.(record);
      }),
    );
    result.anomalies += found.length;
    if (!model && (await deps.reservoir.size(endpoint)) >= deps.minTrainingTraces)
      await deps.coldStart?.(endpoint);
  }
  // Named by the batch's traces: a batch scored again overwrites its own share instead of adding it twice.
  if (deps.evidence && evidence.size > 0) await deps.evidence.put(batchId(traces), evidence);
  // Last, after everything else a retry would redo; the store counts a retried batch once.
  if (deps.aggregates) await deps.aggregates.record(recorded.traces, recorded.scored);
  return result;
}

/**
 * Adds a group's traces to the incident evidence of their minutes: every flagged trace as the tracker takes
 * it, and, for an endpoint with a model, each trace's shifts against its baseline. Returns the traces the
 * evidence could not read (skipped, the batch goes on).
 */
function addEvidence(
  into: Map<number, MinuteEvidence>,
  traces: readonly Trace[],
  scored: readonly ScoredTrace[],
  judged: { profiles: readonly TraceProfile[]; model: { baseline: BaselineModel } } | undefined,
): number {
  let skipped = 0;
  for (let i = 0; i < traces.length; i++) {
    const t = traces[i];
    const s = scored[i];
    const minute = minuteOf(t.start);
    let m = into.get(minute);
    if (m === undefined) into.set(minute, (m = { evidence: new ShiftEvidence(), anomalies: [] }));
    if (s.anomalous)
      m.anomalies.push({
        traceId: s.traceId,
        score: s.score,
        endpoint: `${s.service}:${s.operation}`,
        suspect: s.rootCauses[0]?.service,
      });
    if (!judged) continue;
    try {
      m.evidence.add(t, judged.profiles[i], s, judged.model.baseline);
    } catch {
      // One trace the evidence cannot read must not cost the batch its scores.
      skipped++;
    }
  }
  return skipped;
}
