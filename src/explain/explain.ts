import type { BaselineModel } from '../detectors/baseline/model.js';
import type { BaselineScore } from '../detectors/baseline/evidence.js';
import { extractProfile, type TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';
import type { Candidate, RootCauseKind } from './candidate.js';
import { evidenceCause, type EvidenceContext } from './evidence-causes.js';
import { latencyCauses } from './latency-causes.js';
import { GapAttribution } from './network.js';

export interface RootCause {
  service: string;
  operation?: string;
  instance?: string;
  kind: RootCauseKind;
  /** Share of the trace's anomaly this explains, 0..1; shares of one trace sum to at most 1. */
  contribution: number;
  /** One sentence a person can check against the trace. */
  evidence: string;
}

export interface ExplainOptions {
  /** A score already computed for this trace by the same model (saves scoring twice). */
  score?: BaselineScore;
  /** Every candidate cause, however small its share (the options below are then ignored). */
  all?: boolean;
  /** Causes with a smaller share are left out (default 0.02). */
  minContribution?: number;
  /** At most this many causes (default 10). */
  maxCauses?: number;
}

/**
 * The causes shown by default: the leading ones, each with a share of at least `minContribution`, at most
 * `maxCauses` of them. `all` is ranked, so they are a prefix of it.
 */
export function topCauses(
  all: readonly RootCause[],
  opts: Pick<ExplainOptions, 'minContribution' | 'maxCauses'> = {},
): RootCause[] {
  const min = opts.minContribution ?? 0.02;
  const max = opts.maxCauses ?? 10;
  const out: RootCause[] = [];
  for (const c of all) {
    if (out.length >= max || c.contribution < min) break;
    out.push(c);
  }
  return out;
}

/**
 * Ranked root-cause suggestions for one trace, from the baseline's evidence. Weights are in the
 * baseline's surprise units; latency surprise (how abnormal the end-to-end slowdown is) is shared among
 * the operations whose own time caused it, in proportion to their excess time on the critical path.
 */
export function explainTrace(
  trace: Trace,
  profile: TraceProfile = extractProfile(trace),
  model: BaselineModel,
  opts: ExplainOptions = {},
): RootCause[] {
  const score = opts.score ?? model.score(trace, profile);
  const cps = profile.callPaths;
  const { cands, absorbedMissing } = latencyCauses(trace, profile, model, score);
  const ctx: EvidenceContext = {
    trace,
    profile,
    evidence: score.evidence,
    // The caller of path p: its parent path's service and operation.
    callerOf: (p) => (p >= 0 && cps[p].parent >= 0 ? cps[cps[p].parent] : undefined),
    absorbedMissing,
    gaps: new GapAttribution(trace, profile, score.evidence),
    orphans: new Set(trace.orphans),
  };
  for (const e of score.evidence) {
    const c = evidenceCause(ctx, e);
    if (c !== undefined) cands.push(c);
  }
  foldConsequencesOfErrors(trace, cands);
  const out = rankedCauses(trace, mergedCauses(cands));
  // Cut after the rounding: the default list is then exactly the head of the full one.
  return opts.all ? out : topCauses(out, opts);
}

/** One suggestion per kind and service:operation; its weight is the sum, its sentence the strongest. */
function mergedCauses(cands: readonly Candidate[]): Candidate[] {
  const merged = new Map<string, Candidate>();
  for (const c of cands) {
    if (!(c.weight > 0)) continue;
    const key = c.kind + '\u0000' + c.service + '\u0000' + c.operation;
    const m = merged.get(key);
    if (m === undefined) merged.set(key, { ...c });
    else {
      if (c.weight > m.weight) {
        m.evidence = c.evidence;
        m.span = c.span;
      }
      m.weight += c.weight;
    }
  }
  return [...merged.values()];
}

/** Causes by weight, each with its share of the total rounded to 0.001. */
function rankedCauses(trace: Trace, merged: Candidate[]): RootCause[] {
  const list = merged.sort(
    (a, b) => b.weight - a.weight || (a.service + a.operation < b.service + b.operation ? -1 : 1),
  );
  let total = 0;
  for (const c of list) total += c.weight;
  const out: RootCause[] = list.map((c) => {
    const instance = c.span >= 0 ? trace.spans[c.span].instance : undefined;
    return {
      service: c.service,
      operation: c.operation,
      ...(instance !== undefined ? { instance } : {}),
      kind: c.kind,
      contribution: Math.round((c.weight / total) * 1000) / 1000,
      evidence: c.evidence,
    };
  });
  // Rounding must not push the sum above 1.
  let sum = out.reduce((s, c) => s + c.contribution, 0);
  for (let k = out.length - 1; k >= 0 && sum > 1; k--) {
    const cut = Math.min(out[k].contribution, Math.round((sum - 1) * 1000) / 1000);
    out[k].contribution = Math.round((out[k].contribution - cut) * 1000) / 1000;
    sum -= cut;
  }
  return out;
}

/**
 * Calls a caller skipped, cut short or made differently because a call below it failed are consequences of
 * that failure, not causes: a request that errors at cart skips the checkout it would have made next, and
 * the trace shows both. Structure findings whose caller lies on the way from an error's origin up to the
 * root hand their weight to the error, so the service where the error started carries the blame and the
 * skipped calls still count toward how surprising the trace is.
 */
function foldConsequencesOfErrors(trace: Trace, cands: Candidate[]): void {
  const errors = cands.filter((c) => c.kind === 'error' && c.span >= 0);
  if (errors.length === 0) return;
  const chain = new Set<number>();
  for (const e of errors) for (let i = e.span; i >= 0; i = trace.parent[i]) chain.add(i);
  const strongest = errors.reduce((a, b) => (b.weight > a.weight ? b : a));
  for (const c of cands) {
    if (c.afterError === undefined || !chain.has(c.afterError.caller)) continue;
    strongest.weight += c.weight;
    c.weight = 0;
  }
}
