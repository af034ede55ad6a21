/**
 * A mergeable quantile sketch for latencies in µs: fixed-width buckets on t = ln(1 + x / 1 ms).
 *
 * Why not hdr-histogram-js: HDR needs a highest trackable value up front and keeps every bucket of
 * that range (tens of KB per histogram at 2 significant digits for µs-to-hours), and we keep several
 * sketches per call path per endpoint. Here only the occupied bucket range is stored (usually a few
 * dozen buckets), and the transform is the one the scorer uses anyway: logarithmic above a millisecond
 * (5% relative resolution), nearly linear below it (50 µs resolution), so sub-millisecond jitter on a
 * tiny self time does not look like a tenfold slowdown.
 */

/** Bucket width on the t scale: 5% relative error above 1 ms. */
export const BUCKET_WIDTH = 0.05;
/** t of the last bucket (ln(1 + 2.4e7 ms), about 6.7 hours); larger values are clamped into it. */
const MAX_BUCKET = 340;
const MS = 1000;

/** The scale the baseline compares latencies on: ln(1 + µs / 1 ms). */
export function toT(us: number): number {
  return Math.log1p((us > 0 ? us : 0) / MS);
}

export function fromT(t: number): number {
  return Math.expm1(t) * MS;
}

export interface LogSketchJson {
  /** Index of the first stored bucket. */
  o: number;
  /** Counts of buckets o, o+1, ... */
  c: number[];
}

export class LogSketch {
  private offset = 0;
  private counts: Float64Array = new Float64Array(0);
  total = 0;

  add(us: number, weight = 1): void {
    let b = Math.floor(toT(us) / BUCKET_WIDTH);
    if (b > MAX_BUCKET) b = MAX_BUCKET;
    if (this.counts.length === 0) {
      this.offset = b;
      this.counts = new Float64Array(4);
    } else if (b < this.offset || b >= this.offset + this.counts.length) this.grow(b);
    this.counts[b - this.offset] += weight;
    this.total += weight;
  }

  private grow(b: number): void {
    const lo = Math.min(this.offset, b);
    const hi = Math.max(this.offset + this.counts.length, b + 1);
    // Grow with slack so a drifting series does not reallocate on every new bucket.
    const slack = Math.max(4, (hi - lo) >> 1);
    const newLo = Math.max(0, b < this.offset ? lo - slack : lo);
    const newHi = Math.min(MAX_BUCKET + 1, b < this.offset ? hi : hi + slack);
    const next = new Float64Array(newHi - newLo);
    next.set(this.counts, this.offset - newLo);
    this.counts = next;
    this.offset = newLo;
  }

  merge(other: LogSketch): void {
    for (let i = 0; i < other.counts.length; i++) {
      const c = other.counts[i];
      if (c > 0) this.add(fromT((other.offset + i + 0.5) * BUCKET_WIDTH), c);
    }
  }

  /** Quantile q in [0, 1] on the t scale, interpolated linearly inside the bucket. NaN when empty. */
  quantileT(q: number): number {
    if (this.total <= 0) return NaN;
    const target = Math.min(Math.max(q, 0), 1) * this.total;
    let cum = 0;
    const c = this.counts;
    let last = 0;
    for (let i = 0; i < c.length; i++) {
      if (c[i] <= 0) continue;
      last = i;
      if (cum + c[i] >= target) {
        const frac = c[i] > 0 ? (target - cum) / c[i] : 0;
        return (this.offset + i + frac) * BUCKET_WIDTH;
      }
      cum += c[i];
    }
    return (this.offset + last + 1) * BUCKET_WIDTH;
  }

  /** Quantile q in µs. */
  quantile(q: number): number {
    return fromT(this.quantileT(q));
  }

  toJSON(): LogSketchJson {
    let lo = 0;
    let hi = this.counts.length;
    while (lo < hi && this.counts[lo] === 0) lo++;
    while (hi > lo && this.counts[hi - 1] === 0) hi--;
    return { o: this.offset + lo, c: Array.from(this.counts.subarray(lo, hi)) };
  }

  static fromJSON(j: LogSketchJson, where: string): LogSketch {
    if (!Number.isInteger(j.o) || j.o < 0 || j.o + j.c.length > MAX_BUCKET + 1) {
      throw new Error(`${where}: sketch bucket range ${j.o}..${j.o + j.c.length} outside 0..${MAX_BUCKET}`);
    }
    const s = new LogSketch();
    s.offset = j.o;
    s.counts = new Float64Array(j.c.length);
    for (let i = 0; i < j.c.length; i++) {
      const v = j.c[i];
      if (!(v >= 0) || !Number.isFinite(v))
        throw new Error(`${where}: sketch count ${i} is ${v}, expected >= 0`);
      s.counts[i] = v;
      s.total += v;
    }
    return s;
  }
}
