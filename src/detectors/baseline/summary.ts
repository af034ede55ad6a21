import { fromT, type LogSketch } from './log-sketch.js';
import type { BaselineOptions } from './options.js';

/** The options that decide how a latency population's spread is read. */
export type SpreadRule = Pick<BaselineOptions, 'scaleFloor' | 'tailSpread'>;

/**
 * Robust location and spread of one latency population on the t = ln(1 + µs / 1 ms) scale, read off a
 * sketch once at freeze time so scoring is a subtraction and a division.
 */
export interface LatencySummary {
  n: number;
  /** Median, t scale. */
  med: number;
  /** Robust spread of the bulk, t scale: what "beyond normal jitter" means for one span (see summarize()). */
  scale: number;
  /** Spread that also covers the normal tail, t scale, >= scale: what ranks traces against each other. */
  tailScale: number;
  p50Us: number;
  p99Us: number;
  /**
   * The 5th and 95th percentiles, t scale: one span beyond them says little, but the share of a minute's
   * spans beyond them is 5% in normal traffic whatever the path's spread (the incident layer tests it).
   */
  p05T: number;
  p95T: number;
}

/**
 * `scale` is the larger of IQR / 1.349 and the upper semi-IQR / 0.6745 (both estimate sigma for a normal:
 * latencies are right-skewed, and it is the slow side we judge). Quartiles stay put while up to a quarter of
 * the training data is anomalous, which is what makes training on unlabeled traffic work. The floor keeps a
 * path that always took exactly the same time from turning 5% jitter into z = 50.
 *
 * `tailScale` (with `tailSpread`) is at least (p99 - median) / 2.326, so that a latency 1% of normal requests
 * reach never scores as extreme. Without it an operation with a heavy normal tail (cache misses, GC pauses)
 * puts normal traces above real slowdowns of light-tailed operations. It serves the trace's score only:
 * which spans are beyond their jitter (the evidence, the blame) stays on `scale`, because the 99th
 * percentile moves with anomalies hidden in the training window and the quartiles do not. Measured on the
 * ShapleyIQ cases, whose training traces come from other fault cases, judging the evidence on the tail too
 * cost service top-1 93.90% to 87.70%.
 */
export function summarize(s: LogSketch, rule: SpreadRule): LatencySummary {
  const scaleFloor = rule.scaleFloor;
  if (s.total <= 0)
    return { n: 0, med: 0, scale: scaleFloor, tailScale: scaleFloor, p50Us: 0, p99Us: 0, p05T: 0, p95T: 0 };
  const q25 = s.quantileT(0.25);
  const q50 = s.quantileT(0.5);
  const q75 = s.quantileT(0.75);
  const q99 = s.quantileT(0.99);
  const scale = Math.max((q75 - q25) / 1.349, (q75 - q50) / 0.6745, scaleFloor);
  const tailScale = rule.tailSpread ? Math.max(scale, (q99 - q50) / 2.326) : scale;
  return {
    n: s.total,
    med: q50,
    scale,
    tailScale,
    p50Us: fromT(q50),
    p99Us: fromT(q99),
    p05T: s.quantileT(0.05),
    p95T: s.quantileT(0.95),
  };
}

/**
 * How often a call path occurs per trace, among traces that have it: exact counts (call counts are small
 * integers, and the histogram has at most one entry per distinct count seen).
 */
export class CountDist {
  readonly hist = new Map<number, number>();
  total = 0;
  private values: Float64Array | undefined;
  private cum: Float64Array | undefined;

  add(count: number, traces = 1): void {
    this.hist.set(count, (this.hist.get(count) ?? 0) + traces);
    this.total += traces;
    this.values = undefined;
  }

  private freeze(): void {
    const keys = [...this.hist.keys()].sort((a, b) => a - b);
    this.values = Float64Array.from(keys);
    this.cum = new Float64Array(keys.length);
    let c = 0;
    for (let i = 0; i < keys.length; i++) this.cum[i] = c += this.hist.get(keys[i])!;
  }

  /** Traces whose count was <= c and >= c. */
  tails(c: number): { le: number; ge: number } {
    if (this.values === undefined) this.freeze();
    const v = this.values!;
    const cum = this.cum!;
    // Binary search: last index with value <= c.
    let lo = 0;
    let hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid] <= c) lo = mid + 1;
      else hi = mid;
    }
    const le = lo > 0 ? cum[lo - 1] : 0;
    const lt = lo > 0 && v[lo - 1] === c ? (lo > 1 ? cum[lo - 2] : 0) : le;
    return { le, ge: this.total - lt };
  }

  quantile(q: number): number {
    if (this.values === undefined) this.freeze();
    const v = this.values!;
    if (v.length === 0) return 0;
    const target = q * this.total;
    for (let i = 0; i < v.length; i++) if (this.cum![i] >= target) return v[i];
    return v[v.length - 1];
  }

  max(): number {
    if (this.values === undefined) this.freeze();
    return this.values!.length > 0 ? this.values![this.values!.length - 1] : 0;
  }
}
