/**
 * Small seeded PRNG (mulberry32) so model training is reproducible: the same seed and data give
 * the same model, which makes artifacts diffable and tests exact. The simulator draws from the same
 * generator (sim/seeded-random.ts). Not for cryptography.
 */
export class Prng {
  private state: number;

  /**
   * `seeding` 'mixed' scrambles the seed so that nearby seeds (1, 2, 3) do not give correlated first draws;
   * 'as-is' starts from the seed itself, as the simulator always has (its traces for a seed depend on it).
   */
  constructor(seed: number, seeding: 'mixed' | 'as-is' = 'mixed') {
    if (seeding === 'as-is') {
      this.state = seed >>> 0;
      return;
    }
    let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
    this.state = (s ^ (s >>> 16)) >>> 0;
  }

  /** A uniform 32-bit integer, e.g. for ids, or to seed another generator or a tfjs initializer. */
  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  intBelow(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles in place (Fisher-Yates). */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.intBelow(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}
