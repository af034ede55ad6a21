import { Prng } from '../detectors/prng.js';

/**
 * The distributions the simulator draws from, over the seeded generator training uses (mulberry32, seeded
 * as-is). The simulator never touches Math.random: the same seed must give the same traces on every machine.
 */
export class Rng extends Prng {
  constructor(seed: number) {
    super(seed >>> 0 || 0x9e3779b9, 'as-is');
  }

  /** Integer in [lo, hi], both included. */
  intBetween(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.intBelow(items.length)];
  }

  /** Standard normal (Box-Muller; the second value is dropped to keep the stream simple to reason about). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and shape (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Pareto with scale 1 and shape alpha: the heavy tail of slow paths (GC pauses, cold caches). */
  pareto(alpha: number): number {
    return Math.pow(1 - this.next(), -1 / alpha);
  }

  /** A child generator: lets one part of the model draw without shifting another part's stream. */
  fork(salt: number): Rng {
    return new Rng((this.uint32() ^ Math.imul(salt, 0x85ebca6b)) >>> 0);
  }
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function hex32(v: number): string {
  return HEX[v >>> 24] + HEX[(v >>> 16) & 255] + HEX[(v >>> 8) & 255] + HEX[v & 255];
}

export function randomTraceId(rng: Rng): string {
  return hex32(rng.uint32()) + hex32(rng.uint32()) + hex32(rng.uint32()) + hex32(rng.uint32() | 1);
}

export function randomSpanId(rng: Rng): string {
  return hex32(rng.uint32()) + hex32(rng.uint32() | 1);
}

/** A stable 32-bit hash of a string (FNV-1a), to derive per-name seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
