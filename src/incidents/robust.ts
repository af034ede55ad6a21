import { BUCKET_WIDTH, type LogSketch } from '../detectors/baseline/log-sketch.js';
import { MAD_SCALE, median } from '../detectors/median.js';

/** Small robust statistics for the aggregate signals: nothing here lets one bad minute move a baseline. */

/** Median and MAD-based standard deviation. */
export function robustSpread(xs: readonly number[]): { median: number; sigma: number } {
  const med = median(xs);
  return { median: med, sigma: MAD_SCALE * median(xs.map((x) => Math.abs(x - med))) };
}

/** Theil-Sen slope (median of pairwise slopes) and Kendall's tau-a of y against x. */
export function trend(x: readonly number[], y: readonly number[]): { slope: number; tau: number } {
  const n = x.length;
  const slopes: number[] = [];
  let s = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const dx = x[j] - x[i];
      const dy = y[j] - y[i];
      if (dx !== 0) slopes.push(dy / dx);
      s += Math.sign(dx) * Math.sign(dy);
    }
  const pairs = (n * (n - 1)) / 2;
  return { slope: slopes.length ? median(slopes) : 0, tau: pairs > 0 ? s / pairs : 0 };
}

/** Coefficient of determination of the least-squares line through (x, y); 0 when y is constant. */
export function rSquared(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
}

/** A sketch's bucket counts (LogSketch.toJSON), which merge by aligned addition without leaving the grid. */
export interface Counts {
  o: number;
  c: number[];
  total: number;
}

export function countsOf(sketch: LogSketch): Counts {
  const { o, c } = sketch.toJSON();
  let total = 0;
  for (const x of c) total += x;
  return { o, c, total };
}

export function mergeCounts(list: readonly Counts[]): Counts {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of list)
    if (x.c.length > 0) {
      lo = Math.min(lo, x.o);
      hi = Math.max(hi, x.o + x.c.length);
    }
  if (lo > hi) return { o: 0, c: [], total: 0 };
  const c = new Array<number>(hi - lo).fill(0);
  let total = 0;
  for (const x of list) {
    for (let i = 0; i < x.c.length; i++) c[x.o - lo + i] += x.c[i];
    total += x.total;
  }
  return { o: lo, c, total };
}

/** Quantile q on the sketch's t scale (ln(1 + ms)), interpolated inside the bucket; NaN when empty. */
export function quantileTOf(x: Counts, q: number): number {
  if (x.total <= 0) return NaN;
  const target = Math.min(Math.max(q, 0), 1) * x.total;
  let cum = 0;
  for (let i = 0; i < x.c.length; i++) {
    const v = x.c[i];
    if (v <= 0) continue;
    if (cum + v >= target) return (x.o + i + (target - cum) / v) * BUCKET_WIDTH;
    cum += v;
  }
  return (x.o + x.c.length) * BUCKET_WIDTH;
}

/** Share of the mass above t (on the sketch's t scale), interpolated inside the bucket holding t. */
export function shareAboveT(x: Counts, t: number): number {
  if (x.total <= 0) return 0;
  const pos = t / BUCKET_WIDTH - x.o;
  let above = 0;
  for (let i = x.c.length - 1; i >= 0; i--) {
    if (i + 1 <= pos) break;
    above += i >= pos ? x.c[i] : x.c[i] * (i + 1 - pos);
  }
  return above / x.total;
}
