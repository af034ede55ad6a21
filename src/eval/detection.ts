/** Shared pieces of the suites: detection metrics of one scored population, and cause rankings of one trace. */
import type { ScoredTrace } from '../scoring/scored-trace.js';
import {
  bestF1,
  f1At,
  prAuc,
  prCurve,
  rocAuc,
  rocCurve,
  thinCurve,
  type CurvePoint,
  type F1Result,
} from './metrics.js';

export interface DetectionResult {
  positives: number;
  negatives: number;
  rocAuc: number;
  prAuc: number;
  bestF1: F1Result;
  /** F1 of the model's own `anomalous` flag (its shipped threshold). */
  f1AtThreshold: Omit<F1Result, 'threshold'>;
  roc: CurvePoint[];
  pr: CurvePoint[];
}

/** Null when one of the two classes is missing (a metric would be undefined). */
export function detection(
  scored: readonly ScoredTrace[],
  labels: readonly boolean[],
): DetectionResult | null {
  const positives = labels.filter(Boolean).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return null;
  const scores = scored.map((s) => s.score);
  return {
    positives,
    negatives,
    rocAuc: rocAuc(scores, labels),
    prAuc: prAuc(scores, labels),
    bestF1: bestF1(scores, labels),
    f1AtThreshold: f1At(
      scored.map((s) => s.anomalous),
      labels,
    ),
    roc: thinCurve(rocCurve(scores, labels)),
    pr: thinCurve(prCurve(scores, labels)),
  };
}

/** The trace's suggested services, most likely first, each once. */
export function serviceRanking(s: ScoredTrace): string[] {
  return [...new Set(s.rootCauses.map((c) => c.service))];
}

/** Operation-level suggestions as `service/operation`; a cause without an operation names its service only. */
export function operationRanking(s: ScoredTrace): string[] {
  return [...new Set(s.rootCauses.map((c) => opKey(c.service, c.operation)))];
}

export function opKey(service: string, operation: string | undefined): string {
  return operation === undefined ? service : `${service}/${operation}`;
}

/** How often each cause kind came first, and how often that first cause was right: tells which kind misleads. */
export interface KindTally {
  [kind: string]: { first: number; hits: number };
}

export function tallyFirstKind(tally: KindTally, s: ScoredTrace, hit: boolean): void {
  const kind = s.rootCauses[0]?.kind ?? 'none';
  const t = (tally[kind] ??= { first: 0, hits: 0 });
  t.first++;
  if (hit) t.hits++;
}
