/**
 * Below one expected exceedance, no order statistic of the calibration scores can stand for the target rate:
 * the largest of n normal scores is exceeded by 1/(n + 1) of normal traffic on average (4% for the 24 held-out
 * traces of a 150-trace first model), and by much more in an unlucky draw. From one upward the order statistic
 * keeps its meaning (the second largest of 150: 1.3%).
 */
const MIN_EXPECTED_EXCEEDANCES = 1;
/** Too few scores to fit even a tail to: the largest one is the threshold. */
const MIN_TAIL_FIT = 10;
/** Scores are probabilities; 1 is kept finite on the surprise scale. */
const MAX_SURPRISE = -Math.log(Number.EPSILON);

/**
 * Threshold on held-out NORMAL combined scores (probabilities in [0, 1]) for a false-positive rate of `fpr`:
 * flag a trace when its score > threshold.
 *
 * With enough scores, the one that leaves `fpr` of them strictly above. With too few for that (fewer than
 * 1 / fpr), a peaks-over-threshold fit: on the surprise scale -ln(1 - score), where a calibrated normal
 * score is exponential, the upper half of the scores is exponential above the median, its spread the mean
 * excess (the maximum-likelihood estimate). The threshold is that tail's predictive quantile, which allows
 * for the spread being estimated from a few scores: the exceedance rate averages `fpr` over samples (checked
 * by simulation in the test), where plugging in the estimate would average 1.7% at 24 scores.
 */
export function thresholdForFpr(normalScores: ArrayLike<number>, fpr = 0.01): number {
  if (!(fpr >= 0 && fpr < 1)) throw new Error(`thresholdForFpr: fpr must be in [0, 1), got ${fpr}`);
  const finite: number[] = [];
  for (let i = 0; i < normalScores.length; i++)
    if (Number.isFinite(normalScores[i])) finite.push(normalScores[i]);
  if (finite.length === 0) throw new Error('thresholdForFpr: no finite scores');
  const sorted = Float64Array.from(finite).sort();
  const n = sorted.length;
  const empirical = sorted[n - 1 - Math.floor(fpr * n)];
  if (fpr === 0 || fpr * n >= MIN_EXPECTED_EXCEEDANCES || n < MIN_TAIL_FIT) return empirical;
  const surprise = (s: number) => Math.min(MAX_SURPRISE, -Math.log(1 - Math.min(1, Math.max(0, s))));
  const k = Math.floor(n / 2);
  const u = surprise(sorted[n - 1 - k]);
  let excess = 0;
  for (let j = n - k; j < n; j++) excess += surprise(sorted[j]) - u;
  const spread = excess / k;
  // P(excess > x) averaged over the spread's sampling distribution (k exponential excesses) is
  // (1 + x / (k * spread))^-k; it must equal fpr / (k / n), the rate the tail is allowed above u.
  const x = Math.min(MAX_SURPRISE, u + spread * k * (Math.pow(k / (n * fpr), 1 / k) - 1));
  return 1 - Math.exp(-x);
}
