import { describe, expect, it } from 'vitest';
import { CountDist, LogSketch } from '../../src/detectors/baseline/index.js';

describe('LogSketch', () => {
  it('gives quantiles within 5% above a millisecond, from µs to hours', () => {
    for (const base of [2_000, 150_000, 3_600_000_000]) {
      const s = new LogSketch();
      for (let i = 1; i <= 1000; i++) s.add(base * (1 + i / 1000));
      expect(Math.abs(s.quantile(0.5) / (base * 1.5) - 1)).toBeLessThan(0.05);
      expect(Math.abs(s.quantile(0.99) / (base * 1.99) - 1)).toBeLessThan(0.05);
    }
  });

  it('merges to the same quantiles as one sketch of all values', () => {
    const a = new LogSketch();
    const b = new LogSketch();
    const all = new LogSketch();
    for (let i = 0; i < 500; i++) {
      const v = 100 + i * 37;
      (i % 2 ? a : b).add(v);
      all.add(v);
    }
    a.merge(b);
    expect(a.total).toBe(500);
    for (const q of [0.1, 0.5, 0.9, 0.99]) expect(a.quantileT(q)).toBeCloseTo(all.quantileT(q), 9);
    expect(LogSketch.fromJSON(a.toJSON(), 'x').quantileT(0.9)).toBeCloseTo(all.quantileT(0.9), 9);
  });

  it('rejects a corrupt serialized sketch', () => {
    expect(() => LogSketch.fromJSON({ o: 5, c: [1, Number.NaN] }, 'p.self')).toThrow(
      /p\.self: sketch count 1/,
    );
    expect(() => LogSketch.fromJSON({ o: 9999, c: [1] }, 'p.dur')).toThrow(/p\.dur: sketch bucket range/);
  });
});

describe('CountDist', () => {
  it('counts both tails', () => {
    const d = new CountDist();
    for (const c of [1, 1, 2, 3, 3, 3]) d.add(c);
    expect(d.tails(3)).toEqual({ le: 6, ge: 3 });
    expect(d.tails(2)).toEqual({ le: 3, ge: 4 });
    expect(d.tails(10)).toEqual({ le: 6, ge: 0 });
    expect(d.quantile(0.5)).toBe(2);
    expect(d.max()).toBe(3);
  });
});
