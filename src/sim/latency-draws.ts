/** The time a simulated operation takes: its own work, drawn from its latency shape, and its queue wait. */
import type { LatencyRt } from './compile.js';
import type { Rng } from './seeded-random.js';

export function sampleLatency(rng: Rng, l: LatencyRt): number {
  let v = l.medianUs * Math.exp(l.sigma * rng.normal());
  if (l.tailP > 0 && rng.next() < l.tailP) v *= rng.pareto(1.5);
  return v;
}

/** Queue wait of an M/M/1-like server at utilization rho, from two uniforms (shared by the with/without draw). */
export function waitOf(rho: number, meanUs: number, u: number, v: number): number {
  if (u >= rho) return 0;
  return (-meanUs / (1 - rho)) * Math.log(1 - v) * 0.5;
}
