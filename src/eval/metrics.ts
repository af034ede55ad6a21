/**
 * Evaluation metrics: detection (ROC/PR, F1) and root-cause ranking (top-k, mean rank, AS@k).
 * ROC-AUC and PR-AUC live with the detectors, which use them while training; they are re-exported here so the
 * evaluation code has one place to import metrics from.
 */
import { prAuc, rocAuc, type Labels } from '../detectors/metrics.js';

export { prAuc, rocAuc, type Labels };

export interface CurvePoint {
  x: number;
  y: number;
}

export interface F1Result {
  f1: number;
  precision: number;
  recall: number;
  /** Flag a trace when its score is >= this. */
  threshold: number;
}

/** Indices sorted by score, highest first; ties keep input order (the metrics below treat tied scores as one step). */
function descending(scores: ArrayLike<number>): Int32Array {
  const idx = Int32Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort((a, b) => scores[b] - scores[a] || a - b);
}

function countPositives(labels: Labels): number {
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) pos++;
  return pos;
}

function checkLengths(scores: ArrayLike<number>, labels: Labels, what: string): void {
  if (scores.length !== labels.length)
    throw new Error(`${what}: ${scores.length} scores but ${labels.length} labels`);
  for (let i = 0; i < scores.length; i++)
    if (Number.isNaN(scores[i])) throw new Error(`${what}: score ${i} is NaN`);
}

/**
 * Walks thresholds from the highest score down, one step per distinct score, and calls `at` with the
 * confusion counts of "flag everything with score >= threshold".
 */
function sweep(
  scores: ArrayLike<number>,
  labels: Labels,
  at: (tp: number, fp: number, threshold: number) => void,
): void {
  const idx = descending(scores);
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < idx.length) {
    const s = scores[idx[i]];
    while (i < idx.length && scores[idx[i]] === s) {
      if (labels[idx[i]]) tp++;
      else fp++;
      i++;
    }
    at(tp, fp, s);
  }
}

function f1Of(tp: number, fp: number, fn: number): number {
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** The best F1 over every threshold (each distinct score). */
export function bestF1(scores: ArrayLike<number>, labels: Labels): F1Result {
  checkLengths(scores, labels, 'bestF1');
  const pos = countPositives(labels);
  if (pos === 0) throw new Error('bestF1: needs at least one positive label');
  let best: F1Result = { f1: 0, precision: 0, recall: 0, threshold: Infinity };
  sweep(scores, labels, (tp, fp, threshold) => {
    const f1 = f1Of(tp, fp, pos - tp);
    if (f1 > best.f1) best = { f1, precision: tp / (tp + fp), recall: tp / pos, threshold };
  });
  return best;
}

/** F1 of given binary predictions (the model's own `anomalous` flags, i.e. its shipped threshold). */
export function f1At(predicted: ArrayLike<boolean | number>, labels: Labels): Omit<F1Result, 'threshold'> {
  if (predicted.length !== labels.length)
    throw new Error(`f1At: ${predicted.length} predictions but ${labels.length} labels`);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    if (predicted[i] && labels[i]) tp++;
    else if (predicted[i]) fp++;
    else if (labels[i]) fn++;
  }
  return {
    f1: f1Of(tp, fp, fn),
    precision: tp + fp === 0 ? 0 : tp / (tp + fp),
    recall: tp + fn === 0 ? 0 : tp / (tp + fn),
  };
}

/** ROC curve points (x = false-positive rate, y = true-positive rate), from (0,0) to (1,1). */
export function rocCurve(scores: ArrayLike<number>, labels: Labels): CurvePoint[] {
  checkLengths(scores, labels, 'rocCurve');
  const pos = countPositives(labels);
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) throw new Error(`rocCurve: needs both labels (got ${pos} / ${neg})`);
  const pts: CurvePoint[] = [{ x: 0, y: 0 }];
  sweep(scores, labels, (tp, fp) => pts.push({ x: fp / neg, y: tp / pos }));
  return pts;
}

/** Precision-recall points (x = recall, y = precision), one per distinct threshold. */
export function prCurve(scores: ArrayLike<number>, labels: Labels): CurvePoint[] {
  checkLengths(scores, labels, 'prCurve');
  const pos = countPositives(labels);
  if (pos === 0) throw new Error('prCurve: needs at least one positive label');
  const pts: CurvePoint[] = [];
  sweep(scores, labels, (tp, fp) => pts.push({ x: tp / pos, y: tp / (tp + fp) }));
  return pts;
}

/** Keeps at most `max` points of a curve (always the first and last), so plots stay small. */
export function thinCurve(points: CurvePoint[], max = 400): CurvePoint[] {
  if (points.length <= max) return points;
  const out: CurvePoint[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let k = 0; k < max; k++) out.push(points[Math.round(k * step)]);
  return out;
}

/**
 * 1-based position of the first ranked item that is a true cause; `ranked.length + 1` when none is.
 * Duplicates in `ranked` are kept as given: callers rank distinct items.
 */
export function rankOfFirstHit(
  ranked: readonly string[],
  truth: ReadonlySet<string> | readonly string[],
): number {
  const t = truth instanceof Set ? truth : new Set(truth as readonly string[]);
  for (let i = 0; i < ranked.length; i++) if (t.has(ranked[i])) return i + 1;
  return ranked.length + 1;
}

/** Distinct items in first-seen order: a trace's causes name the same service more than once. */
export function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}

export interface RankingCase {
  /** Suggested causes, most likely first. */
  ranked: readonly string[];
  /** The true causes (a hit is any of them). */
  truth: readonly string[];
}

export interface RankingSummary {
  cases: number;
  /** top[k] = share of cases whose first true cause is within the first k suggestions. */
  top: Record<number, number>;
  meanRank: number;
}

/** Top-k accuracy and mean rank over cases (missing = list length + 1). */
export function rankingSummary(
  cases: readonly RankingCase[],
  ks: readonly number[] = [1, 3, 5],
): RankingSummary {
  const top: Record<number, number> = {};
  for (const k of ks) top[k] = 0;
  if (cases.length === 0) return { cases: 0, top, meanRank: NaN };
  let rankSum = 0;
  for (const c of cases) {
    const ranked = dedupe(c.ranked);
    const r = rankOfFirstHit(ranked, c.truth);
    rankSum += r;
    // A miss has rank length + 1, which may still be <= k for a short list: it is never a hit.
    if (r <= ranked.length) for (const k of ks) if (r <= k) top[k]++;
  }
  for (const k of ks) top[k] /= cases.length;
  return { cases: cases.length, top, meanRank: rankSum / cases.length };
}

export function topK(cases: readonly RankingCase[], k: number): number {
  return rankingSummary(cases, [k]).top[k];
}

/**
 * AS@k as Nezha defines it for incidents: the share of faults whose true root-cause service is among the top k
 * ranked services. Same as top-k accuracy, named for the comparison table.
 */
export function asAtK(faults: readonly RankingCase[], k: number): number {
  return topK(faults, k);
}
