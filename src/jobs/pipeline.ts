import type { Trace } from '../trace/trace.js';
import type { BaselineModel } from '../detectors/baseline/model.js';
import { endpointOf } from '../trace/trace.js';
import { endpointKey, endpointKeyOf } from '../trace/endpoint-key.js';
import { errorOrigins } from '../trace/error-origins.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import type { ModelCache } from '../registry/redis-registry.js';
import type { AnomalyStore } from '../store/anomalies.js';
import type { TraceReservoir } from '../store/reservoir.js';
import type { Anomaly, StoredAnomaly } from '../store/anomaly-record.js';
import { topCauses } from '../explain/index.js';
import { isoFromMicros } from '../trace/iso-time.js';
import { extractProfile, type TraceProfile } from '../features/profile.js';
import { ShiftEvidence } from '../incidents/shift-evidence.js';
import { viewSpans } from '../explain/span-context.js';
import { minuteOf } from '../incidents/signal.js';
import type { MinuteEvidence } from '../incidents/incident-engine.js';
import type { EvidenceItem, EvidenceStore } from '../store/incident-evidence.js';
import type { AggregateStore } from '../store/aggregates.js';
import type { SessionEntry, SessionStore } from '../store/sessions.js';
import { sessionTrace } from '../store/session-record.js';
import { sessionOf } from '../trace/session.js';

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
  /** Per-minute aggregates (topology, quality, aggregate signals, traffic counts) of every scored trace. */
  aggregates?: Pick<AggregateStore, 'record'>;
  /** Every scored trace that names a session (by the first of `attributes` it carries) joins it. */
  sessions?: { store: Pick<SessionStore, 'put'>; attributes: readonly string[] };
  now?: () => number;
}

export interface BatchResult {
  scored: number;
  anomalies: number;
  withoutModel: number;
  /** Traces left out of the incident evidence because it could not read them. */
  evidenceSkipped: number;
}

/**
 * Before an endpoint has a model only what needs no training is reported: a trace whose spans say they
 * failed. Its root cause is the error span with no failing span below it.
 */
export function errorOnly(t: Trace): ScoredTrace {
  const { service, operation } = endpointOf(t);
  const origin = errorOrigins(t);
  const origins = t.spans.filter((_, i) => origin[i]);
  return {
    traceId: t.traceId,
    service,
    operation,
    startTime: isoFromMicros(t.start),
    durationMs: (t.end - t.start) / 1000,
    spanCount: t.spans.length,
    score: origins.length ? 1 : 0,
    // No model, so no normal to measure added latency or surprise against: errors are the whole cost.
    impact: { addedMs: 0, errors: origins.length },
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
    const key = endpointKeyOf(t);
    let g = byEndpoint.get(key);
    if (!g) byEndpoint.set(key, (g = []));
    g.push(t);
  }
  const result: BatchResult = { scored: 0, anomalies: 0, withoutModel: 0, evidenceSkipped: 0 };
  const detectedAt = new Date((deps.now ?? Date.now)()).toISOString();
  const judged: Judged[] = [];
  const recorded = { traces: [] as Trace[], scored: [] as ScoredTrace[] };
  const sessions: SessionEntry[] = [];
  for (const [endpoint, group] of byEndpoint) {
    const model = await deps.models.get(endpoint);
    // Evidence needs the profiles scoring extracts: extracted once for both.
    const profiles = model && deps.evidence ? group.map((t) => extractProfile(t)) : undefined;
    // Every candidate cause is kept with an anomaly (for explain=all); everything else sees the top ones.
    const full = model ? model.score(group, { profiles, causes: 'all' }) : group.map(errorOnly);
    const scored = full.map((s) => ({ ...s, rootCauses: topCauses(s.rootCauses) }));
    if (!model) result.withoutModel += group.length;
    result.scored += group.length;
    // Anomalies stay out of the training sample, so retraining does not learn the fault as normal.
    await deps.reservoir.addTraces(group.filter((_, i) => !scored[i].anomalous));
    if (deps.evidence)
      group.forEach((trace, i) =>
        judged.push({
          traceId: trace.traceId,
          minute: minuteOf(trace.start),
          trace,
          scored: scored[i],
          profile: profiles?.[i],
          baseline: model?.baseline,
        }),
      );
    if (deps.aggregates) {
      recorded.traces.push(...group);
      recorded.scored.push(...scored);
    }
    if (deps.sessions) sessions.push(...sessionEntries(group, scored, deps.sessions.attributes));
    const found: StoredAnomaly[] = [];
    for (let i = 0; i < group.length; i++) {
      const s = scored[i];
      if (!s.anomalous) continue;
      const otherCauses = full[i].rootCauses.slice(s.rootCauses.length);
      found.push({
        ...s,
        ...(otherCauses.length ? { otherCauses } : {}),
        id: s.traceId,
        detectedAt,
        source: ctx.source,
        link: ctx.link?.(s.traceId),
        spans: viewSpans(group[i], model?.baseline, profiles?.[i]),
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
  // Both stores count a trace once, so a retried job, or a trace polled again in another batch, adds nothing.
  if (deps.evidence) {
    const skipped = new Set<string>();
    await deps.evidence.put(judged, (_, items) => minuteEvidence(items, skipped));
    result.evidenceSkipped = skipped.size;
  }
  if (deps.aggregates) await deps.aggregates.record(recorded.traces, recorded.scored);
  // Keyed by trace id in its session: a retried batch rewrites the same entries.
  if (deps.sessions) await deps.sessions.store.put(sessions);
  return result;
}

function sessionEntries(
  traces: readonly Trace[],
  scored: readonly ScoredTrace[],
  attributes: readonly string[],
): SessionEntry[] {
  const out: SessionEntry[] = [];
  traces.forEach((t, i) => {
    const ref = sessionOf(t, attributes);
    if (ref) out.push({ session: ref.id, startUs: t.start, trace: sessionTrace(scored[i], ref.attribute) });
  });
  return out;
}

/** A scored trace on its way to the incident evidence; with a model, its profile and baseline. */
interface Judged extends EvidenceItem {
  trace: Trace;
  scored: ScoredTrace;
  profile?: TraceProfile;
  baseline?: BaselineModel;
}

/**
 * One minute's incident evidence from its traces: every flagged trace as the tracker takes it, and, for an
 * endpoint with a model, each trace's shifts against its baseline. Traces the evidence cannot read are
 * added to `skipped` (left out, the batch goes on).
 */
function minuteEvidence(items: readonly Judged[], skipped: Set<string>): MinuteEvidence {
  const m: MinuteEvidence = { evidence: new ShiftEvidence(), anomalies: [] };
  for (const { trace, scored: s, profile, baseline } of items) {
    if (s.anomalous)
      m.anomalies.push({
        traceId: s.traceId,
        score: s.score,
        endpoint: endpointKey(s.service, s.operation),
        suspect: s.rootCauses[0]?.service,
      });
    if (!profile || !baseline) continue;
    try {
      m.evidence.add(trace, profile, s, baseline);
    } catch {
      // One trace the evidence cannot read must not cost the batch its scores.
      skipped.add(trace.traceId);
    }
  }
  return m;
}
