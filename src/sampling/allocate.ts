import type { SamplingOptions } from './options.js';

/** What one operation of a service asks of the budget. */
export interface Demand {
  operation: string;
  /** Traces per second the operation starts, before sampling. */
  rate: number;
  /**
   * 0 for a healthy operation. Above 0 it is served before every healthy one, highest first: Tracehound
   * makes it 1 + the anomaly rate for an operation in an open incident, the anomaly rate for one whose rate
   * stands above its normal.
   */
  urgency: number;
}

export interface Allocation {
  /** Probability per operation. */
  probabilities: Map<string, number>;
  /** For operations not listed: the one that would keep the whole service within budget. */
  defaultProbability: number;
  /** Traces per second these probabilities keep, floors included. */
  expectedTps: number;
}

type Limits = Pick<SamplingOptions, 'budgetTps' | 'floorTps' | 'minProbability'>;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** The lowest probability an operation gets: enough for `floorTps` traces a second, never below the minimum. */
function floorOf(rate: number, o: Limits): number {
  return rate > 0 ? clamp(o.floorTps / rate, o.minProbability, 1) : 1;
}

/**
 * Water-filling: every operation keeps the same λ traces per second, at least its floor and at most all of
 * its traffic, with λ the largest level the budget pays for; so the busiest get the lowest probabilities.
 * Returns kept rates.
 */
function waterFill(items: readonly { rate: number; floor: number }[], budget: number): number[] {
  const keptAt = (level: number) => items.map((d) => clamp(level, d.floor * d.rate, d.rate));
  const total = (kept: number[]) => kept.reduce((a, b) => a + b, 0);
  const all = items.map((d) => d.rate);
  if (total(all) <= budget) return all;
  let lo = 0;
  let hi = Math.max(...all);
  // The kept total grows continuously with the level: bisection to a relative precision far below what any
  // tracer's probability resolves.
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (total(keptAt(mid)) > budget) hi = mid;
    else lo = mid;
  }
  return keptAt(lo);
}

/**
 * Splits a service's budget of kept traces per second among its operations. Every operation first gets its
 * floor. Urgent operations then get all of their traffic, most urgent first, while the budget lasts: a kept
 * trace of an operation whose traces are 30% anomalous is worth thirty of a healthy one's, so the greedy
 * order keeps the most anomalous traces a budget can buy. Healthy operations share what is left evenly in
 * traces per second. Floors win over the budget: a service with more operations than the budget pays floors
 * for keeps more than its budget rather than losing sight of some.
 */
export function allocate(demands: readonly Demand[], o: Limits): Allocation {
  const withFloor = demands.map((d) => ({ ...d, floor: floorOf(d.rate, o) }));
  const kept = new Map(withFloor.map((d) => [d.operation, d.floor * d.rate]));
  let left = o.budgetTps - [...kept.values()].reduce((a, b) => a + b, 0);
  const urgent = withFloor.filter((d) => d.urgency > 0).sort((a, b) => b.urgency - a.urgency);
  for (const d of urgent) {
    const extra = clamp(d.rate * (1 - d.floor), 0, Math.max(0, left));
    kept.set(d.operation, kept.get(d.operation)! + extra);
    left -= extra;
  }
  const healthy = withFloor.filter((d) => d.urgency <= 0);
  const shares = waterFill(healthy, Math.max(0, left) + healthy.reduce((a, d) => a + d.floor * d.rate, 0));
  healthy.forEach((d, i) => kept.set(d.operation, shares[i]));
  const probabilities = new Map<string, number>();
  let expectedTps = 0;
  for (const d of withFloor) {
    const p = d.rate > 0 ? clamp(kept.get(d.operation)! / d.rate, d.floor, 1) : 1;
    probabilities.set(d.operation, p);
    expectedTps += p * d.rate;
  }
  const totalRate = demands.reduce((a, d) => a + d.rate, 0);
  const defaultProbability = totalRate > 0 ? clamp(o.budgetTps / totalRate, o.minProbability, 1) : 1;
  return { probabilities, defaultProbability, expectedTps };
}
