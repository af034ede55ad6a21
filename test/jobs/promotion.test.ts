import { describe, expect, it } from 'vitest';
import { fprNoise } from '../../src/jobs/train-task.js';

describe('promotion noise', () => {
  it('is one binomial standard error of the held-out false-positive rate', () => {
    expect(fprNoise(0.01, 2000)).toBeCloseTo(Math.sqrt(0.0099 / 2000), 12);
    // Shrinks with the held-out sample: the 0.0078 vs 0.0056 (a gap of 0.0022) is noise on 200
    // held-out traces, and a real regression on 20,000.
    const gap = 0.0078 - 0.0056;
    expect(gap).toBeLessThan(fprNoise(0.01, 200));
    expect(gap).toBeGreaterThan(fprNoise(0.01, 20_000));
    expect(fprNoise(0.01, 0)).toBe(Infinity);
  });
});
