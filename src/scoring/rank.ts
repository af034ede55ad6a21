import type { TraceImpact } from './impact.js';

/**
 * The order anomalies are read in (`order=score`, the CLI tables). The calibrated score saturates at 1 for
 * strong anomalies, so it cannot rank them; surprise (-log10 of the tail probability) keeps growing. Surprise
 * counts in whole decibans (tenths of a decade): the far tail of every calibrator is an exponential fitted to
 * the top few percent of a few thousand normal traces, and a difference of less than a factor 1.26 in tail
 * probability is not evidence that one trace is worse than another. Within one deciban, what the trace cost
 * decides: errors first (a failed request), then the latency it added; the exact surprise breaks what is left.
 */
export interface Rankable {
  score: number;
  surprise?: number;
  impact?: TraceImpact;
}

export interface RankKey {
  decibans: number;
  errors: number;
  addedMs: number;
  surprise: number;
}

/** Floor of the tail probability 1 - score can express: a saturated score reads as this rare. */
const SCORE_FLOOR = 1e-16;

/** The record's surprise; records without one (judged without a model, or stored before it) use their score. */
export function surpriseOf(s: Rankable): number {
  if (s.surprise !== undefined && Number.isFinite(s.surprise)) return Math.max(0, s.surprise);
  return Math.max(0, -Math.log10(Math.max(1 - s.score, SCORE_FLOOR)));
}

/**
 * `discount`: surprise already explained as normal (a false positive like this one reached it), taken off
 * before ranking; see AnomalyStore.feedback.
 */
export function rankKey(s: Rankable, discount = 0): RankKey {
  const surprise = Math.max(0, surpriseOf(s) - Math.max(0, discount));
  return {
    decibans: Math.floor(surprise * 10),
    errors: s.impact?.errors ?? 0,
    addedMs: s.impact?.addedMs ?? 0,
    surprise,
  };
}

/** For Array.sort: the anomaly to read first comes first. */
export function byRank(a: Rankable, b: Rankable): number {
  const x = rankKey(a);
  const y = rankKey(b);
  return y.decibans - x.decibans || y.errors - x.errors || y.addedMs - x.addedMs || y.surprise - x.surprise;
}
