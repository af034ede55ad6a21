/**
 * Turns raw detector scores (whose scales differ: path lengths, reconstruction errors, sums)
 * into one shared scale: the share of held-out normal traffic that scored lower. A calibrated
 * 0.99 means "higher than 99% of normal traces", whatever the detector.
 */

export interface EmpiricalCalibratorOptions {
  /** Most quantile points kept (default 2000); larger fits are summarised. */
  maxPoints?: number;
  /** Share of the fit sample used to fit each exponential tail (default 0.05). */
  tailShare?: number;
}

export interface EmpiricalCalibratorJSON {
  kind: 'empirical-calibrator';
  version: 1;
  /** Number of finite scores the calibrator was fit on. */
  count: number;
  /** Sorted raw scores (quantile points) ... */
  values: number[];
  /** ... and the share of the fit sample below each (Hazen plotting positions). */
  probs: number[];
  /** Mean excess of the top / bottom tail: the scale of the exponential beyond the extremes. */
  upperScale: number;
  lowerScale: number;
}

export class EmpiricalCalibrator {
  private constructor(
    readonly count: number,
    private readonly values: Float64Array,
    private readonly probs: Float64Array,
    private readonly upperScale: number,
    private readonly lowerScale: number,
  ) {}

  /**
   * Fits on raw scores of normal traffic the detector did not train on (scores from training
   * rows are optimistically low). Non-finite scores are dropped and counted in `dropped`.
   */
  static fit(scores: ArrayLike<number>, options: EmpiricalCalibratorOptions = {}): EmpiricalCalibrator {
    const maxPoints = options.maxPoints ?? 2000;
    const tailShare = options.tailShare ?? 0.05;
    if (!Number.isInteger(maxPoints) || maxPoints < 2) {
      throw new Error(`EmpiricalCalibrator.fit: maxPoints must be an integer >= 2, got ${maxPoints}`);
    }
    if (!(tailShare > 0 && tailShare < 0.5)) {
      throw new Error(`EmpiricalCalibrator.fit: tailShare must be in (0, 0.5), got ${tailShare}`);
    }
    const finite: number[] = [];
    for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i])) finite.push(scores[i]);
    const n = finite.length;
    if (n === 0) throw new Error(`EmpiricalCalibrator.fit: no finite scores among ${scores.length}`);
    const sorted = Float64Array.from(finite).sort();

    const m = Math.min(n, maxPoints);
    const values = new Float64Array(m);
    const probs = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      const i = m === 1 ? 0 : Math.round((j * (n - 1)) / (m - 1));
      values[j] = sorted[i];
      probs[j] = (i + 0.5) / n;
    }

    const k = Math.max(1, Math.ceil(n * tailShare));
    let upper = 0;
    let lower = 0;
    for (let i = 0; i < k; i++) {
      upper += sorted[n - 1] - sorted[n - 1 - i];
      lower += sorted[i] - sorted[0];
    }
    // A degenerate tail (all top scores equal) still needs a positive scale for the curve to rank
    // values beyond it; make it tiny relative to the scores so it reads as "far beyond normal".
    const floor = degenerateScale(sorted[0], sorted[n - 1]);
    return new EmpiricalCalibrator(n, values, probs, Math.max(upper / k, floor), Math.max(lower / k, floor));
  }

  /** Share of the normal sample below `raw`, in (0, 1): interpolated inside, exponential tails beyond. */
  calibrate(raw: number): number {
    if (Number.isNaN(raw)) return NaN;
    const { values, probs } = this;
    const m = values.length;
    const lo = values[0];
    const hi = values[m - 1];
    if (raw > hi) return 1 - (1 - probs[m - 1]) * Math.exp(-(raw - hi) / this.upperScale);
    if (raw < lo) return probs[0] * Math.exp(-(lo - raw) / this.lowerScale);
    // First index with values[i] >= raw, and last index with values[i] <= raw.
    let a = 0;
    let b = m;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (values[mid] < raw) a = mid + 1;
      else b = mid;
    }
    const first = a;
    if (values[first] === raw) {
      let last = first;
      a = first;
      b = m;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (values[mid] <= raw) a = mid + 1;
        else b = mid;
      }
      last = a - 1;
      // Tied with a run of normal scores: count the run half, as a mid-rank does.
      return (probs[first] + probs[last]) / 2;
    }
    const x0 = values[first - 1];
    const x1 = values[first];
    return probs[first - 1] + ((raw - x0) / (x1 - x0)) * (probs[first] - probs[first - 1]);
  }

  /**
   * ln(1 - calibrate(raw)): the log of the share of normal traffic at or above `raw`, computed without going
   * through p, so that it keeps falling where p has rounded to 1 (beyond about 37 tail scales): the ranking
   * quantity (see combineLogTails) needs that, the 0..1 score cannot carry it.
   *
   * A degenerate tail (every top normal score equal, as when normal traffic scores 0) has no measured slope;
   * its tiny stand-in scale says only "beyond normal" and would make ln q absurd (-1e10 for a raw score of 10).
   * There the tail falls by one nat per `unit` of raw score: the caller's unit when the raw score has one
   * (the baseline's is itself a sum of surprises in nats), else the spread of the fit sample.
   */
  logTail(raw: number, unit?: number): number {
    if (Number.isNaN(raw)) return NaN;
    const m = this.values.length;
    const lo = this.values[0];
    const hi = this.values[m - 1];
    if (raw <= hi) return Math.log1p(-this.calibrate(raw));
    let scale = this.upperScale;
    if (scale <= degenerateScale(lo, hi)) scale = unit ?? (hi > lo ? hi - lo : 1);
    return Math.log1p(-this.probs[m - 1]) - (raw - hi) / scale;
  }

  calibrateMany(raw: ArrayLike<number>): Float64Array {
    const out = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = this.calibrate(raw[i]);
    return out;
  }

  toJSON(): EmpiricalCalibratorJSON {
    return {
      kind: 'empirical-calibrator',
      version: 1,
      count: this.count,
      values: Array.from(this.values),
      probs: Array.from(this.probs),
      upperScale: this.upperScale,
      lowerScale: this.lowerScale,
    };
  }

  static fromJSON(obj: unknown): EmpiricalCalibrator {
    const fail = (msg: string): never => {
      throw new Error(`EmpiricalCalibrator.fromJSON: ${msg}`);
    };
    if (typeof obj !== 'object' || obj === null) fail('expected an object');
    const o = obj as Record<string, unknown>;
    if (o.kind !== 'empirical-calibrator')
      fail(`"kind" must be "empirical-calibrator", got ${JSON.stringify(o.kind)}`);
    if (o.version !== 1) fail(`unsupported version ${JSON.stringify(o.version)}`);
    if (!Number.isInteger(o.count) || (o.count as number) < 1) fail('"count" must be a positive integer');
    const values = o.values;
    const probs = o.probs;
    if (!Array.isArray(values) || values.length === 0) fail('"values" must be a non-empty array');
    if (!Array.isArray(probs) || probs.length !== (values as unknown[]).length) {
      fail('"probs" must be an array as long as "values"');
    }
    const v = values as unknown[];
    const p = probs as unknown[];
    for (let i = 0; i < v.length; i++) {
      if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) fail(`values[${i}] must be a finite number`);
      if (typeof p[i] !== 'number' || !((p[i] as number) > 0 && (p[i] as number) < 1)) {
        fail(`probs[${i}] must be a number in (0, 1)`);
      }
      if (i > 0 && ((v[i] as number) < (v[i - 1] as number) || (p[i] as number) < (p[i - 1] as number))) {
        fail(`values/probs must be non-decreasing (index ${i})`);
      }
    }
    for (const key of ['upperScale', 'lowerScale']) {
      const s = o[key];
      if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s))
        fail(`"${key}" must be a positive number`);
    }
    return new EmpiricalCalibrator(
      o.count as number,
      Float64Array.from(v as number[]),
      Float64Array.from(p as number[]),
      o.upperScale as number,
      o.lowerScale as number,
    );
  }
}

/** The stand-in tail scale of a degenerate tail (see fit): tiny relative to the scores. */
function degenerateScale(lo: number, hi: number): number {
  return Math.max(Math.abs(hi), Math.abs(lo), 1) * 1e-9;
}

export const COMBINE_METHODS = ['fisher', 'max', 'bonferroni'] as const;
export type CombineMethod = (typeof COMBINE_METHODS)[number];

/** Keeps -ln(1-p) finite for p that rounded to 1. */
const P_CAP = 1 - 1e-15;

/** The sum of `weights` (1 each when absent) for `k` inputs; throws, naming `fn`, on a bad weight. */
export function weightSum(
  k: number,
  weights: ArrayLike<number> | undefined,
  fn: string,
  inputs: string,
): number {
  if (weights !== undefined && weights.length !== k)
    throw new Error(`${fn}: ${k} ${inputs} but ${weights.length} weights`);
  let wsum = 0;
  for (let i = 0; i < k; i++) {
    const w = weights === undefined ? 1 : weights[i];
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`${fn}: weight ${i} must be a finite number >= 0`);
    wsum += w;
  }
  if (!(wsum > 0)) throw new Error(`${fn}: weights sum to 0`);
  return wsum;
}

/**
 * One 0..1 score from several calibrated detector scores.
 *
 * 'max' (default): the most surprised detector wins; a weight w divides that detector's tail
 * probability 1 - p (weights are normalised to mean 1).
 *
 * 'bonferroni': like 'max', but the winning tail probability is multiplied by the number of scores, so the
 * result stays a valid tail probability under normal traffic (k looks at one trace find a small value k
 * times as often as one look does). Weights are ignored.
 *
 * 'fisher': Fisher's method on the tail probabilities q_i = 1 - p_i, X = -2 * sum(w_i * ln q_i)
 * against a chi-square with 2k degrees of freedom, score = 1 - P(X_2k > X) (weights normalised to
 * mean 1, a weighted approximation). It rewards corroboration between detectors, and assumes they
 * are independent: two detectors that read the same input count one piece of evidence twice, and a
 * detector blind to a kind of fault drags that fault's score down with its ordinary p. The model set
 * therefore combines by view (see ModelSet.combine): Fisher across views, the most surprised within one.
 */
export function combineScores(
  ps: ArrayLike<number>,
  weights?: ArrayLike<number>,
  method: CombineMethod = 'max',
): number {
  const k = ps.length;
  if (k === 0) throw new Error('combineScores: no scores to combine');
  const wsum = weightSum(k, weights, 'combineScores', 'scores');
  if (method === 'bonferroni') {
    let qMin = 1;
    for (let i = 0; i < k; i++) qMin = Math.min(qMin, 1 - clampP(ps[i], i));
    return 1 - Math.min(1, k * qMin);
  }
  if (method === 'max') {
    let best = 0;
    for (let i = 0; i < k; i++) {
      const w = (weights === undefined ? 1 : weights[i]) * (k / wsum);
      const p = clampP(ps[i], i);
      best = Math.max(best, 1 - Math.min(1, (1 - p) / Math.max(w, 1e-12)));
    }
    return best;
  }
  let x = 0;
  for (let i = 0; i < k; i++) {
    const w = (weights === undefined ? 1 : weights[i]) * (k / wsum);
    x += -2 * w * Math.log(1 - Math.min(clampP(ps[i], i), P_CAP));
  }
  return 1 - chiSquareSurvivalEvenDof(x, k);
}

function clampP(p: number, i: number): number {
  if (Number.isNaN(p)) throw new Error(`combineScores: score ${i} is NaN`);
  return Math.min(1, Math.max(0, p));
}

/** P(X > x) for X ~ chi-square with 2k degrees of freedom: e^(-x/2) * sum_{j<k} (x/2)^j / j!. */
function chiSquareSurvivalEvenDof(x: number, k: number): number {
  const h = x / 2;
  let term = 1;
  let sum = 1;
  for (let j = 1; j < k; j++) {
    term *= h / j;
    sum += term;
  }
  return Math.min(1, Math.exp(-h) * sum);
}
