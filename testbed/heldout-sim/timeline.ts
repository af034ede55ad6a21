/**
 * What varies with time, independent of any one request: the traffic rate (a slow swell, rush-hour bursts) and
 * the pauses of each pod (garbage collection, and a blocked event loop when a fault says so).
 */
import { Rand, subSeed } from './rand.js';
import type { Instance } from './model.js';
import type { Runtime } from './services.js';

/** A pod cannot run anything in [start, end): requests wait, work in progress stops. */
export interface Stall {
  start: number;
  end: number;
  /** Set when a fault caused the stall; benign pauses have none. */
  faultId?: string;
}

interface Burst {
  start: number;
  end: number;
  factor: number;
}

const MIN_US = 60e6;

/** Traffic relative to its mean: a 3-hour swell of ±30% and, about every 40 minutes, a 2-5 minute burst of +25-50%. */
export class TrafficShape {
  private readonly bursts: Burst[] = [];
  private readonly phase: number;

  constructor(
    seed: number,
    private readonly t0: number,
    t1: number,
  ) {
    const rng = new Rand(subSeed(seed, `traffic:${t0}`));
    this.phase = rng.between(0, 2 * Math.PI);
    // one burst at a time: two at once would be a capacity incident, not a rush
    for (let t = t0 + rng.exponential(40 * MIN_US); t < t1;) {
      const len = rng.between(2, 5) * MIN_US;
      this.bursts.push({ start: t, end: t + len, factor: rng.between(1.25, 1.5) });
      t += len + rng.exponential(40 * MIN_US);
    }
  }

  at(t: number): number {
    let f = 1 + 0.3 * Math.sin(this.phase + (2 * Math.PI * (t - this.t0)) / (180 * MIN_US));
    for (const b of this.bursts) {
      if (t < b.start || t >= b.end) continue;
      // ramps up over the first minute, as a crowd leaving a stadium does
      f *= 1 + (b.factor - 1) * Math.min(1, (t - b.start) / MIN_US);
    }
    return f;
  }
}

/** Collector pauses per runtime: frequent short ones, and now and then a long one. */
const GC: Record<Runtime, { everyS: number; medianMs: number; longEveryS: number; longMedianMs: number }> = {
  go: { everyS: 0, medianMs: 0, longEveryS: 0, longMedianMs: 0 },
  node: { everyS: 45, medianMs: 18, longEveryS: 1800, longMedianMs: 160 },
  jvm: { everyS: 25, medianMs: 12, longEveryS: 1500, longMedianMs: 260 },
  python: { everyS: 60, medianMs: 30, longEveryS: 2400, longMedianMs: 140 },
};

export function gcStalls(seed: number, inst: Instance, runtime: Runtime, t0: number, t1: number): Stall[] {
  const g = GC[runtime];
  const out: Stall[] = [];
  if (g.everyS === 0) return out;
  const rng = new Rand(subSeed(seed, `gc:${inst.pod}:${t0}`));
  for (let t = t0 + rng.exponential(g.everyS * 1e6); t < t1; t += rng.exponential(g.everyS * 1e6)) {
    const long = rng.chance(g.everyS / g.longEveryS);
    const ms = long ? rng.logNormal(g.longMedianMs, 0.35) : rng.logNormal(g.medianMs, 0.5);
    out.push({ start: t, end: t + ms * 1000 });
  }
  return out;
}

/** The stalls of one pod, sorted and non-overlapping, with the two questions requests ask of them. */
export class StallTimeline {
  private readonly stalls: Stall[];

  constructor(stalls: Stall[]) {
    const sorted = [...stalls].sort((a, b) => a.start - b.start);
    // A fault stall that overlaps a pause swallows it: the pod is stopped either way.
    this.stalls = [];
    for (const s of sorted) {
      const last = this.stalls[this.stalls.length - 1];
      if (last && s.start < last.end) {
        last.end = Math.max(last.end, s.end);
        last.faultId ??= s.faultId;
      } else this.stalls.push({ ...s });
    }
  }

  /** Index of the first stall ending after t. */
  private firstAfter(t: number): number {
    let lo = 0;
    let hi = this.stalls.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.stalls[mid].end <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** When work of `d` µs started at t finishes, and the stalls it waited through. */
  run(t: number, d: number): { end: number; waited: Stall[] } {
    const waited: Stall[] = [];
    let now = t;
    let left = d;
    for (let i = this.firstAfter(t); i < this.stalls.length; i++) {
      const s = this.stalls[i];
      if (s.start >= now + left) break;
      if (s.start > now) {
        left -= s.start - now;
        now = s.start;
      }
      now = s.end;
      waited.push(s);
    }
    return { end: now + left, waited };
  }
}
