import { weightSum, type CombineMethod } from './calibration.js';

/**
 * combineScores in log space: the same three rules, applied to ln q (q = 1 - p, the tail probability under
 * normal traffic) and returning the combined ln q. A p that has rounded to 1 loses how far beyond normal a
 * trace is; ln q keeps it, so -ln q ranks however strong the anomaly (see ModelSet.surprise). The 0..1
 * score stays with combineScores, which the threshold was fitted on.
 */
export function combineLogTails(
  lnq: ArrayLike<number>,
  weights?: ArrayLike<number>,
  method: CombineMethod = 'max',
): number {
  const k = lnq.length;
  if (k === 0) throw new Error('combineLogTails: no tail probabilities to combine');
  const wsum = weightSum(k, weights, 'combineLogTails', 'tail probabilities');
  const at = (i: number): number => {
    const v = lnq[i];
    if (Number.isNaN(v)) throw new Error(`combineLogTails: tail ${i} is NaN`);
    return Math.min(0, v);
  };
  const weight = (i: number) => (weights === undefined ? 1 : weights[i]) * (k / wsum);
  if (method === 'bonferroni') {
    let min = 0;
    for (let i = 0; i < k; i++) min = Math.min(min, at(i));
    return Math.min(0, Math.log(k) + min);
  }
  if (method === 'max') {
    let best = 0;
    for (let i = 0; i < k; i++) best = Math.min(best, at(i) - Math.log(Math.max(weight(i), 1e-12)));
    return best;
  }
  let h = 0;
  for (let i = 0; i < k; i++) h -= weight(i) * at(i);
  return Math.min(0, logChiSquareSurvivalEvenDof(h, k));
}

/**
 * ln P(X > 2h) for X ~ chi-square with 2k degrees of freedom: -h + ln sum_{j<k} h^j / j!, the sum taken as a
 * log-sum-exp so that a large h (a very strong anomaly) neither overflows nor underflows.
 */
function logChiSquareSurvivalEvenDof(h: number, k: number): number {
  if (h <= 0) return 0;
  const terms: number[] = [0];
  let lnFact = 0;
  for (let j = 1; j < k; j++) {
    lnFact += Math.log(j);
    terms.push(j * Math.log(h) - lnFact);
  }
  const top = Math.max(...terms);
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - top);
  return -h + top + Math.log(sum);
}
