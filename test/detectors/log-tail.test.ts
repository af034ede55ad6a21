import { describe, expect, it } from 'vitest';
import { COMBINE_METHODS, EmpiricalCalibrator, combineScores } from '../../src/detectors/calibration.js';
import { combineLogTails } from '../../src/detectors/log-tail.js';
import { Prng } from '../../src/detectors/prng.js';
import { gaussian } from '../helpers/gaussian.js';

const rng = new Prng(5);
const fit = Array.from({ length: 1000 }, () => Math.exp(gaussian(rng)));
const cal = EmpiricalCalibrator.fit(fit);
const hi = Math.max(...fit);

describe('EmpiricalCalibrator.logTail', () => {
  it('is ln(1 - p) wherever p has not rounded to 1', () => {
    for (const x of [Math.min(...fit) - 0.5, 0.3, 1, 2.5, hi, hi + 0.5, hi + 3]) {
      const p = cal.calibrate(x);
      expect(cal.logTail(x)).toBeCloseTo(Math.log(1 - p), 9);
    }
  });

  it('keeps falling, linearly in the raw score, where p is exactly 1', () => {
    const far = [hi * 200, hi * 400, hi * 800];
    for (const x of far) expect(cal.calibrate(x)).toBe(1);
    const [a, b, c] = far.map((x) => cal.logTail(x));
    expect(b).toBeLessThan(a);
    expect(c).toBeLessThan(b);
    // An exponential tail: equal raw steps take equal steps in log space.
    expect((c - b) / (b - a)).toBeCloseTo(2, 9);
    expect(Number.isFinite(c)).toBe(true);
  });

  it('is NaN for NaN', () => {
    expect(cal.logTail(NaN)).toBeNaN();
  });
});

describe('combineLogTails', () => {
  it('agrees with combineScores for every method where p is representable', () => {
    const cases = [
      [0.5, 0.9],
      [0.99, 0.999, 0.2],
      [0.9999, 0.7],
    ];
    for (const method of COMBINE_METHODS)
      for (const ps of cases) {
        const lnq = ps.map((p) => Math.log1p(-p));
        expect(combineLogTails(lnq, undefined, method), `${method} ${ps}`).toBeCloseTo(
          Math.log1p(-combineScores(ps, undefined, method)),
          6,
        );
      }
  });

  it('ranks strong anomalies that combineScores saturates at 1', () => {
    for (const method of COMBINE_METHODS) {
      const strong = [-80, -60];
      const stronger = [-90, -60];
      expect(
        combineScores(
          strong.map((l) => 1 - Math.exp(l)),
          undefined,
          method,
        ),
      ).toBe(1);
      const a = combineLogTails(strong, undefined, method);
      const b = combineLogTails(stronger, undefined, method);
      expect(b, method).toBeLessThan(a);
      expect(Number.isFinite(b)).toBe(true);
    }
  });

  it('Fisher with two tails: ln q = -h + ln(1 + h), h = -(ln q1 + ln q2)', () => {
    const h = 300;
    expect(combineLogTails([-100, -200], undefined, 'fisher')).toBeCloseTo(-h + Math.log(1 + h), 9);
  });

  it('refuses NaN and bad weights, saying which', () => {
    expect(() => combineLogTails([NaN, -1])).toThrow(/tail 0 is NaN/);
    expect(() => combineLogTails([-1], [-1])).toThrow(/weight 0/);
    expect(() => combineLogTails([])).toThrow(/no tail/);
  });
});

describe('EmpiricalCalibrator.logTail on a degenerate tail', () => {
  it('falls one nat per unit of raw score (the caller-given unit), not by the stand-in scale', () => {
    const zeros = EmpiricalCalibrator.fit(new Array(200).fill(0));
    expect(zeros.calibrate(5)).toBe(1);
    const top = zeros.logTail(0.0001, 1);
    expect(zeros.logTail(10, 1) - top).toBeCloseTo(-(10 - 0.0001), 9);
    expect(zeros.logTail(10, 2) - zeros.logTail(0.0001, 2)).toBeCloseTo(-(10 - 0.0001) / 2, 9);
  });
});
