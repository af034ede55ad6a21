import { describe, expect, it } from 'vitest';
import { combineScores, EmpiricalCalibrator } from '../../src/detectors/calibration.js';
import { Prng } from '../../src/detectors/prng.js';
import { gaussian } from '../helpers/gaussian.js';

function sample(n: number, seed: number): number[] {
  const rng = new Prng(seed);
  // Skewed like real detector scores: exp of a gaussian.
  return Array.from({ length: n }, () => Math.exp(gaussian(rng)));
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.ceil(q * s.length) - 1];
}

describe('EmpiricalCalibrator', () => {
  it('is monotone, bounded, and keeps ranking beyond the fitted range', () => {
    const fit = sample(1000, 1);
    const cal = EmpiricalCalibrator.fit(fit);
    const lo = Math.min(...fit);
    const hi = Math.max(...fit);
    let prev = -1;
    for (let x = lo - 1; x <= hi * 3; x += (hi * 3 - lo + 1) / 5000) {
      const p = cal.calibrate(x);
      expect(p).toBeGreaterThanOrEqual(prev);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(1);
      prev = p;
    }
    expect(cal.calibrate(hi + 1)).toBeGreaterThan(cal.calibrate(hi));
    expect(cal.calibrate(hi + 2)).toBeGreaterThan(cal.calibrate(hi + 1));
    expect(cal.calibrate(hi * 100)).toBeGreaterThan(0.9999);
  });

  it('gives 0.99 at the 99th percentile of its fit data', () => {
    const fit = sample(1000, 2);
    const cal = EmpiricalCalibrator.fit(fit);
    expect(cal.calibrate(quantile(fit, 0.99))).toBeCloseTo(0.99, 2);
    expect(cal.calibrate(quantile(fit, 0.5))).toBeCloseTo(0.5, 2);
  });

  it('keeps its quantiles when a large fit is summarised to few points', () => {
    const fit = sample(20000, 3);
    const cal = EmpiricalCalibrator.fit(fit, { maxPoints: 200 });
    expect(cal.toJSON().values.length).toBe(200);
    expect(cal.calibrate(quantile(fit, 0.99))).toBeCloseTo(0.99, 2);
    expect(cal.calibrate(quantile(fit, 0.9))).toBeCloseTo(0.9, 2);
  });

  it('counts a run of tied scores half', () => {
    const cal = EmpiricalCalibrator.fit([1, 2, 2, 2, 3]);
    // Below 2: one score; at 2: three tied. Hazen positions of the run are 0.3..0.7.
    expect(cal.calibrate(2)).toBeCloseTo(0.5, 12);
  });

  it('drops non-finite scores and refuses an empty fit', () => {
    expect(EmpiricalCalibrator.fit([1, NaN, 2, Infinity]).count).toBe(2);
    expect(() => EmpiricalCalibrator.fit([NaN])).toThrow(/no finite scores/);
  });

  it('round-trips through JSON and rejects a corrupted object', () => {
    const cal = EmpiricalCalibrator.fit(sample(500, 4));
    const copy = EmpiricalCalibrator.fromJSON(JSON.parse(JSON.stringify(cal)));
    for (const x of [0.01, 0.5, 1, 3, 50]) expect(copy.calibrate(x)).toBe(cal.calibrate(x));
    const bad = cal.toJSON();
    bad.values[3] = bad.values[10] + 1;
    expect(() => EmpiricalCalibrator.fromJSON(bad)).toThrow(/non-decreasing \(index 4\)/);
  });
});

describe('combineScores', () => {
  it('Fisher on one score returns it unchanged', () => {
    for (const p of [0.1, 0.5, 0.9, 0.999])
      expect(combineScores([p], undefined, 'fisher')).toBeCloseTo(p, 12);
  });

  it('Fisher rewards agreement: two 0.9s outrank one 0.9 with one 0.5', () => {
    const both = combineScores([0.9, 0.9], undefined, 'fisher');
    expect(both).toBeGreaterThan(0.9);
    expect(both).toBeGreaterThan(combineScores([0.9, 0.5], undefined, 'fisher'));
    expect(combineScores([0.9, 0.9])).toBeCloseTo(0.9, 12);
    // Closed form for k = 2: X = -2 ln(0.01); 1 - e^(-X/2)(1 + X/2).
    const x = -2 * Math.log(0.01);
    expect(both).toBeCloseTo(1 - Math.exp(-x / 2) * (1 + x / 2), 12);
  });

  it('Bonferroni takes the most surprised detector and pays for the number of looks', () => {
    expect(combineScores([0.99, 0.5], undefined, 'bonferroni')).toBeCloseTo(0.98, 12);
    expect(combineScores([0.995, 0.999, 0.2], undefined, 'bonferroni')).toBeCloseTo(0.997, 12);
    expect(combineScores([0.3, 0.1], undefined, 'bonferroni')).toBe(0);
  });

  it('max takes the most surprised detector; weights shift the balance', () => {
    expect(combineScores([0.2, 0.95, 0.5])).toBeCloseTo(0.95, 12);
    // Weights [3, 1] normalise to [1.5, 0.5]: the first tail 0.1 becomes 0.1 / 1.5.
    expect(combineScores([0.9, 0.5], [3, 1])).toBeCloseTo(1 - 0.1 / 1.5, 12);
    expect(combineScores([0.9, 0.5], [3, 1])).toBeGreaterThan(combineScores([0.9, 0.5], [1, 3]));
    expect(() => combineScores([0.9], [1, 2])).toThrow(/1 scores but 2 weights/);
  });
});
