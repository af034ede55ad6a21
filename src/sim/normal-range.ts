/**
 * The normal range of an operation's self time, which decides whether a latency fault changed a trace.
 *
 * A fault that slows a span only within the range the span takes anyway (a CPU-starved instance that
 * happened to draw a fast sample, a leak in its first minutes) has not made the trace anomalous: nothing
 * in that trace tells it from normal traffic. So a latency-type fault (latency, cpu, leak, and the queueing
 * a traffic spike causes) marks a trace as affected only when a span it slowed ends with a self time
 * (queue wait plus own work) above the 99.9th percentile of that operation's self time without any fault,
 * at the same utilization. The percentile is estimated by drawing the fault-free model itself.
 *
 * Why 99.9 and not 99: a trace has dozens of spans, so one span beyond its 99th percentile is ordinary.
 * In the fault-free runs (seed 2) 11% (shop), 18% (search), 16% (random) and 29% (chain) of traces have
 * one; beyond the 99.9th, 1.2%, 2.2%, 2.0% and 3.7% do.
 */
import type { OpRt } from './compile.js';
import { sampleLatency, waitOf } from './latency-draws.js';
import { hashString, Rng } from './seeded-random.js';

/** A slowed span counts as changed when it ends beyond this percentile of its fault-free self time. */
export const AFFECTED_QUANTILE = 0.999;
/** Draws per estimate: about 100 beyond the 99.9th percentile. */
const DRAWS = 100_000;
/** Utilization is rounded to this step, so that each operation needs only a few estimates per run. */
const RHO_STEP = 0.01;

export class NormalRanges {
  private readonly cache = new Map<string, number>();

  /** The AFFECTED_QUANTILE of `op`'s fault-free self time (µs) at utilization `rho` of its service. */
  selfLimit(op: OpRt, rho: number): number {
    const r = Math.round(rho / RHO_STEP) * RHO_STEP;
    const key = `${op.key}\u0000${r.toFixed(2)}`;
    let v = this.cache.get(key);
    if (v === undefined) {
      // Seeded by the operation and utilization only: the same limit whatever the run's seed or history.
      const rng = new Rng(hashString(key));
      const xs = new Float64Array(DRAWS);
      for (let i = 0; i < DRAWS; i++)
        xs[i] = sampleLatency(rng, op.latency) + waitOf(r, op.latency.meanUs, rng.next(), rng.next());
      xs.sort();
      v = xs[Math.floor(AFFECTED_QUANTILE * DRAWS)];
      this.cache.set(key, v);
    }
    return v;
  }

  /** True when a fault that took a span's self time from `withoutUs` to `withUs` took it beyond normal. */
  changed(op: OpRt, rho: number, withoutUs: number, withUs: number): boolean {
    return withUs > withoutUs && withUs > this.selfLimit(op, rho);
  }
}
