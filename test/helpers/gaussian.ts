import { Prng } from '../../src/detectors/prng.js';

/** Standard normal draws (Box-Muller) from a seeded generator, so fixtures are reproducible. */
export function gaussian(rng: Prng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function gaussianRows(rng: Prng, n: number, d: number, center = 0, scale = 1): Float64Array[] {
  return Array.from({ length: n }, () =>
    Float64Array.from({ length: d }, () => center + scale * gaussian(rng)),
  );
}
