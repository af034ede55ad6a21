import { describe, expect, it } from 'vitest';
import { thresholdForFpr } from '../../src/detectors/threshold.js';
import { Prng } from '../../src/detectors/prng.js';

describe('thresholdForFpr', () => {
  it('lets the requested share of normal scores lie above when there are enough of them', () => {
    const normal = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const t = thresholdForFpr(normal, 0.01);
    expect(normal.filter((s) => s > t).length).toBe(10);
    expect(thresholdForFpr(normal, 0)).toBe(0.999);
  });

  it('keeps the false-positive rate at the target on average from a few dozen calibration scores', () => {
    // Calibrated normal scores are uniform; the rate a threshold lets through is 1 - threshold. Over many
    // draws of 24 scores, the largest one lets 4% through on average; the tail fit must come to 1%.
    const rng = new Prng(7);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    for (const n of [24, 60, 90]) {
      const rates: number[] = [];
      const maxRates: number[] = [];
      for (let draw = 0; draw < 4000; draw++) {
        const scores = Array.from({ length: n }, () => rng.next());
        rates.push(1 - thresholdForFpr(scores, 0.01));
        maxRates.push(1 - Math.max(...scores));
      }
      expect(mean(maxRates)).toBeCloseTo(1 / (n + 1), 2);
      expect(mean(rates), `n = ${n}`).toBeGreaterThan(0.008);
      expect(mean(rates), `n = ${n}`).toBeLessThan(0.012);
    }
  });

  it('refuses a rate outside [0, 1) and an empty sample, naming the problem', () => {
    expect(() => thresholdForFpr([0.5], 1)).toThrow(/fpr must be in \[0, 1\)/);
    expect(() => thresholdForFpr([NaN], 0.01)).toThrow(/no finite scores/);
  });
});
