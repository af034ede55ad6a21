import { describe, expect, it } from 'vitest';
import { samplingOptions } from '../../src/sampling/options.js';
import {
  current,
  servedProbability,
  smooth,
  type SamplingState,
  type Target,
} from '../../src/sampling/smoothing.js';
import { Prng } from '../../src/detectors/prng.js';

const o = samplingOptions();
const T0 = 1_700_000_000_000;
const KEEP = 10 * 60_000;
const target = (ops: Record<string, number>, def = 0.05, immediate: string[] = []): Target => ({
  defaultProbability: def,
  operations: new Map(Object.entries(ops)),
  immediate: new Set(immediate),
});

describe('smoothing', () => {
  it('serves the first target as it is', () => {
    const s = smooth(undefined, target({ a: 0.2 }), T0, KEEP, o);
    expect(current(s)).toEqual({ at: T0, defaultProbability: 0.05, operations: { a: 0.2 } });
  });

  it('rises fast and falls slowly, on the log scale, and jumps for an incident', () => {
    const s0 = smooth(undefined, target({ a: 0.01, b: 0.01 }), T0, KEEP, o);
    const up = smooth(s0, target({ a: 1, b: 1 }, 0.05, ['b']), T0 + 30_000, KEEP, o);
    // 30 s is one rising time constant: 1 - 1/e of the way on the log scale.
    expect(Math.log(current(up).operations.a / 0.01)).toBeCloseTo(Math.log(100) * (1 - Math.exp(-1)), 9);
    expect(current(up).operations.b).toBe(1);
    const down = smooth(up, target({ a: 0.01, b: 0.01 }), T0 + 60_000, KEEP, o);
    const shareDown = Math.log(current(down).operations.b / 1) / Math.log(0.01);
    expect(shareDown).toBeCloseTo(1 - Math.exp(-30 / o.fallS), 9);
    // Slower than the rise over the same 30 s.
    expect(shareDown).toBeLessThan(1 - Math.exp(-1));
  });

  it('does not flap: targets wandering within the hold band never change what is served', () => {
    const rng = new Prng(5);
    let s = smooth(undefined, target({ a: 0.1 }), T0, KEEP, o);
    for (let i = 1; i <= 200; i++)
      s = smooth(s, target({ a: 0.1 * (0.82 + 0.36 * rng.next()) }, 0.05), T0 + i * 10_000, KEEP, o);
    expect(current(s).operations.a).toBe(0.1);
    expect(s.served).toHaveLength(1);
  });

  it('settles near a target beyond the band instead of oscillating around it', () => {
    let s = smooth(undefined, target({ a: 0.1 }), T0, KEEP, o);
    const seen: number[] = [];
    for (let i = 1; i <= 120; i++) {
      s = smooth(s, target({ a: 0.5 }), T0 + i * 10_000, KEEP, o);
      seen.push(current(s).operations.a);
    }
    // Monotone approach, ending inside the band around the target.
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen[seen.length - 1]).toBeGreaterThan(0.5 / o.holdFactor);
    expect(seen[seen.length - 1]).toBeLessThanOrEqual(0.5);
  });

  it('remembers what was served when, as far back as asked, and the cold start before it', () => {
    let s: SamplingState = smooth(undefined, target({ a: 0.01 }), T0, KEEP, o);
    s = smooth(s, target({ a: 1 }, 0.05, ['a']), T0 + 60_000, KEEP, o);
    expect(servedProbability(s, 'a', T0 + 30_000, 0.01)).toBe(0.01);
    expect(servedProbability(s, 'a', T0 + 90_000, 0.01)).toBe(1);
    expect(servedProbability(s, 'other', T0 + 90_000, 0.01)).toBe(0.05);
    // Before anything was served: what the caller says was told then.
    expect(servedProbability(undefined, 'a', T0, 0.02)).toBe(0.02);
    expect(servedProbability(s, 'a', T0 - 1, 0.02)).toBe(0.02);
    // Later, the old entries go, except the one in force at the start of the kept span.
    s = smooth(s, target({ a: 0.001 }), T0 + 20 * 60_000, KEEP, o);
    expect(s.served.map((e) => e.at)).toEqual([T0 + 60_000, T0 + 20 * 60_000]);
  });
});
