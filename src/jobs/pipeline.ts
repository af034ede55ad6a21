import type { Trace } from '../trace/trace.js';
import type { BaselineModel } from '../detectors/baseline/model.js';
import type { ModelSet } from '../scoring/model-set.js';
import { endpointKey, tracesByEndpoint } from '../trace/endpoint-key.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import { errorOnly } from '../scoring/error-only.js';
import type { ModelCache } from '../registry/redis-registry.js';
import type { AnomalyStore } from '../store/anomalies.js';
import type { TraceReservoir } from '../store/reservoir.js';
import type { Anomaly, StoredAnomaly } from '../store/anomaly-record.js';
import { topCauses } from '../explain/index.js';
import { extractProfile, type TraceProfile } from '../features/profile.js';
import { ShiftEvidence } from '../incidents/shift-evidence.js';
import { viewSpans } from '../explain/span-context.js';
import { minuteOf } from '../traffic/minute.js';
import type { MinuteEvidence } from '../incidents/incident-engine.js';
import type { EvidenceItem, EvidenceStore } from '../store/incident-evidence.js';
import type { AggregateStore } from '../store/aggregates.js';
import type { SessionEntry, SessionStore } from '../store/sessions.js';
import { sessionTrace } from '../store/session-record.js';
import { sessionOf } from '../trace/session.js';

/** What scoring reads and writes; the job system adds the cold-start hook (PipelineDeps). */
export interface PipelineStores {
  models: Pick<ModelCache, 'get'>;
  anomalies: Pick<AnomalyStore, 'put'>;
  reservoir: Pick<TraceReservoir, 'addTraces' | 'size'>;
  minTrainingTraces: number;
  /** Called with each stored anomaly (webhooks). */
  notify?: (a: Anomaly) => Promise<void>;
  /** Per-minute shift evidence for incident root causes (endpoints with a model only). */
  evidence?: Pick<EvidenceStore, 'put'>;
  /**
   * Per-minute aggregates (topology, quality, aggregate signals, traffic counts) of every scored trace. They
   * count a trace once, so they also say which traces of a batch are new (see scoreBatch).
   */
  aggregates?: Pick<AggregateStore, 'record'>;
  /** Every scored trace that names a session (by the first of `attributes` it carries) joins it. */
  sessions?: { store: Pick<SessionStore, 'put'>; attributes: readonly string[] };
  now?: () => number;
}

export interface PipelineDeps extends PipelineStores {
  /** Called when an endpoint without a model has gathered enough traffic to train one. */
  coldStart?: (endpoint: string) => Promise<void>;
  /**
   * Called with BatchResult.counted as soon as it is known, before the writes that could still fail: a
   * running total kept from it counts a trace once even when the run fails after claiming it and is retried.
   */
  counted?: (c: BatchCounts) => void;
}

export interface BatchCounts {
  scored: number;
  anomalies: number;
  withoutModel: number;
}

export interface BatchResult extends BatchCounts {
  /** Traces left out of the incident evidence because it could not read them. */
  evidenceSkipped: number;
  /**
   * The same counts over the traces no earlier run counted (the aggregates' verdict; every trace without
   * aggregates): what a retried batch, or a trace polled again, must not add to a running total.
   */
  counted: BatchCounts;
}

/** One endpoint's traces of a batch, scored. */
interface Group {
  endpoint: string;
  traces: Trace[];
  model?: ModelSet;
  profiles?: TraceProfile[];
  /** Every candidate cause (for explain=all) ... */
  full: ScoredTrace[];
  /** ... and the top ones, which everything else sees. */
  scored: ScoredTrace[];
}

async function scoreGroups(traces: readonly Trace[], deps: PipelineStores): Promise<Group[]> {
  const groups: Group[] = [];
  for (const [endpoint, group] of tracesByEndpoint(traces)) {
    const model = await deps.models.get(endpoint);
    // Evidence needs the profiles scoring extracts: extracted once for both.
    const profiles = model && deps.evidence ? group.map((t) => extractProfile(t)) : undefined;
    const full = model ? model.score(group, { profiles, causes: 'all' }) : group.map(errorOnly);
    const scored = full.map((s) => ({ ...s, rootCauses: topCauses(s.rootCauses) }));
    groups.push({ endpoint, traces: group, model, profiles, full, scored });
  }
  return groups;
}

/**
 * The scoring workers' job: score a batch with each endpoint's active model, keep anomalies with everything
 * an engineer needs, feed the training reservoir, and trigger training for endpoints that have none yet.
 * Safe to run again on the same traces (a retried job, a trace polled twice): every store counts a trace
 * once or is keyed by its id, and the reservoir, which cannot tell a trace it sampled before, is offered
 * only the traces the aggregates count for the first time.
 */
export async function scoreBatch(
  traces: Trace[],
  deps: PipelineDeps,
  ctx: { source?: string; link?: (traceId: string) => string | undefined } = {},
): Promise<BatchResult> {
  const groups = await scoreGroups(traces, deps);
  // First, so that they can say which traces are new. A worker lost right after leaves those out of the
  // reservoir when the job is retried: a uniform sample can spare them, a count cannot take them twice.
  const fresh = deps.aggregates
    ? await deps.aggregates.record(
        groups.flatMap((g) => g.traces),
        groups.flatMap((g) => g.scored),
      )
    : undefined;
  const isNew = (t: Trace) => !fresh || fresh.has(t.traceId);
  const result: BatchResult = {
    ...countsOf(groups, () => true),
    evidenceSkipped: 0,
    counted: countsOf(groups, isNew),
  };
  deps.counted?.(result.counted);
  const detectedAt = new Date((deps.now ?? Date.now)()).toISOString();
  for (const g of groups) {
    // Anomalies stay out of the training sample, so retraining does not learn the fault as normal.
    await deps.reservoir.addTraces(g.traces.filter((t, i) => !g.scored[i].anomalous && isNew(t)));
    await storeAnomalies(g, deps, { ...ctx, detectedAt });
    if (!g.model && (await deps.reservoir.size(g.endpoint)) >= deps.minTrainingTraces)
      await deps.coldStart?.(g.endpoint);
  }
  // It counts a trace once too, so a retried job, or a trace polled again in another batch, adds nothing.
  if (deps.evidence) {
    const skipped = new Set<string>();
    const judged = groups.flatMap(judgedOf);
    await deps.evidence.put(judged, (_, items) => minuteEvidence(items, skipped));
    result.evidenceSkipped = skipped.size;
  }
  // Keyed by trace id in its session: a retried batch rewrites the same entries.
  if (deps.sessions)
    await deps.sessions.store.put(
      groups.flatMap((g) => sessionEntries(g.traces, g.scored, deps.sessions!.attributes)),
    );
  return result;
}

/** The batch's traces, anomalies and traces without a model, among those `counts` picks. */
function countsOf(groups: readonly Group[], counts: (t: Trace) => boolean): BatchCounts {
  const c: BatchCounts = { scored: 0, anomalies: 0, withoutModel: 0 };
  for (const g of groups)
    g.traces.forEach((t, i) => {
      if (!counts(t)) return;
      c.scored++;
      if (g.scored[i].anomalous) c.anomalies++;
      if (!g.model) c.withoutModel++;
    });
  return c;
}

/**
 * Stores a group's anomalies. Distinct ids, so the writes cannot conflict and go out together. Every stored
 * anomaly is notified, not only new ones: a worker killed between storing and notifying is re-run, finds the
 * record there already, and must still send what it never sent; the delivery's id (the anomaly's) dedupes
 * the rest.
 */
async function storeAnomalies(
  g: Group,
  deps: PipelineStores,
  ctx: { source?: string; link?: (traceId: string) => string | undefined; detectedAt: string },
): Promise<void> {
  const found: StoredAnomaly[] = [];
  g.scored.forEach((s, i) => {
    if (!s.anomalous) return;
    const otherCauses = g.full[i].rootCauses.slice(s.rootCauses.length);
    found.push({
      ...s,
      ...(otherCauses.length ? { otherCauses } : {}),
      id: s.traceId,
      detectedAt: ctx.detectedAt,
      source: ctx.source,
      link: ctx.link?.(s.traceId),
      spans: viewSpans(g.traces[i], g.model?.baseline, g.profiles?.[i]),
    });
  });
  await Promise.all(
    found.map(async (a) => {
      const { record } = await deps.anomalies.put(a);
      await deps.notify?.(record);
    }),
  );
}

const judgedOf = (g: Group): Judged[] =>
  g.traces.map((trace, i) => ({
    traceId: trace.traceId,
    minute: minuteOf(trace.start),
    trace,
    scored: g.scored[i],
    profile: g.profiles?.[i],
    baseline: g.model?.baseline,
  }));

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
