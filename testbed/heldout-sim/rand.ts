/**
 * Seeded randomness for the held-out simulator. Distributions come from d3-random on a seeded LCG, so a seed
 * reproduces a run exactly; the helpers only name the shapes the system model uses.
 */
import { randomExponential, randomLcg, randomNormal, randomPareto, randomPoisson } from 'd3-random';

/** Mixes a seed with a label so that independent streams (per trace, per instance) do not overlap. */
export function subSeed(seed: number, label: string | number): number {
  // FNV-1a over the label, folded with the seed: cheap, deterministic, and good enough to decorrelate LCGs.
  let h = 0x811c9dc5 ^ (seed >>> 0);
  const s = String(label);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}

export class Rand {
  readonly uniform: () => number;
  private readonly normal01: () => number;
  private readonly exp1: () => number;
  private readonly pareto: (alpha: number) => () => number;
  private readonly poisson: (mean: number) => () => number;

  constructor(seed: number) {
    this.uniform = randomLcg(seed);
    this.normal01 = randomNormal.source(this.uniform)(0, 1);
    this.exp1 = randomExponential.source(this.uniform)(1);
    this.pareto = randomPareto.source(this.uniform);
    this.poisson = randomPoisson.source(this.uniform);
  }

  chance(p: number): boolean {
    return this.uniform() < p;
  }

  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.uniform());
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.uniform() * items.length)];
  }

  exponential(mean: number): number {
    return mean * this.exp1();
  }

  poissonCount(mean: number): number {
    return mean > 0 ? this.poisson(mean)() : 0;
  }

  /** A log-normal value with the given median and log-space spread. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal01());
  }

  /**
   * Service time as production shows it: a log-normal body and, with probability `tailP`, a Pareto
   * multiplier (shape 1.6: a few requests take several times the median, a rare one ten times).
   */
  heavyTailed(median: number, sigma: number, tailP = 0.01): number {
    const v = this.logNormal(median, sigma);
    return this.chance(tailP) ? v * Math.min(this.pareto(1.6)(), 40) : v;
  }

  /** 16 or 32 lowercase hex digits, as OpenTelemetry ids are written. */
  hexId(bytes: 8 | 16): string {
    let out = '';
    for (let i = 0; i < bytes * 2; i += 8)
      out += Math.floor(this.uniform() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    return out;
  }
}
