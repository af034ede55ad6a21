import { describe, expect, it } from 'vitest';
import { allocate, type Demand } from '../../src/sampling/allocate.js';

const limits = { budgetTps: 10, floorTps: 1 / 60, minProbability: 1e-5 };
const op = (operation: string, rate: number, urgency = 0): Demand => ({ operation, rate, urgency });
const kept = (a: ReturnType<typeof allocate>, demands: Demand[]) =>
  demands.map((d) => a.probabilities.get(d.operation)! * d.rate);

describe('allocate', () => {
  it('keeps everything when the traffic fits the budget', () => {
    const a = allocate([op('a', 3), op('b', 5, 0.2)], limits);
    expect([...a.probabilities.values()]).toEqual([1, 1]);
    expect(a.expectedTps).toBeCloseTo(8, 9);
    expect(a.defaultProbability).toBe(1);
  });

  it('gives each healthy operation the same traces per second, so the busiest get the lowest probability', () => {
    const ds = [op('busy', 100), op('mid', 10), op('rare', 1)];
    const a = allocate(ds, limits);
    // rare keeps all of its 1/s; the other two share the 9/s left equally: 4.5/s each.
    expect(kept(a, ds)).toEqual([expect.closeTo(4.5, 6), expect.closeTo(4.5, 6), expect.closeTo(1, 9)]);
    expect(a.probabilities.get('busy')).toBeCloseTo(0.045, 6);
    expect(a.expectedTps).toBeCloseTo(10, 6);
    expect(a.defaultProbability).toBeCloseTo(10 / 111, 9);
  });

  it('serves urgent operations whole, most urgent first, before the healthy ones, above every floor', () => {
    const ds = [
      op('incident', 6, 1.3),
      op('anomalous', 3, 0.2),
      op('worse', 2, 0.4),
      op('a', 100),
      op('b', 50),
    ];
    const a = allocate(ds, limits);
    const floor = 1 / 60;
    expect(a.probabilities.get('incident')).toBe(1);
    expect(a.probabilities.get('worse')).toBe(1);
    // What the first two and the two healthy floors leave is what the third urgent one gets.
    expect(kept(a, ds)[1]).toBeCloseTo(10 - 6 - 2 - 2 * floor, 9);
    expect(kept(a, ds).slice(3)).toEqual([expect.closeTo(floor, 9), expect.closeTo(floor, 9)]);
    expect(a.expectedTps).toBeCloseTo(10, 9);
    // An incident bigger than the budget gets what is left after the others' floors.
    const big = [op('incident', 1000, 1), op('a', 100)];
    const b = allocate(big, limits);
    expect(b.probabilities.get('incident')).toBeCloseTo((10 - 1 / 60) / 1000, 9);
    expect(b.probabilities.get('a')).toBeCloseTo(1 / 6000, 9);
  });

  it('keeps every operation visible at its floor even when the floors alone exceed the budget', () => {
    const ds = Array.from({ length: 1000 }, (_, i) => op(`op${i}`, 1, i === 0 ? 1 : 0));
    const a = allocate(ds, limits);
    for (const p of [...a.probabilities.values()].slice(1)) expect(p).toBeCloseTo(1 / 60, 12);
    expect(a.probabilities.get('op0')).toBeCloseTo(1 / 60, 12);
    expect(a.expectedTps).toBeCloseTo(1000 / 60, 6);
    // Never below the minimum probability, however busy (1e9/s at budget 10/s would be 1e-8).
    expect(allocate([op('huge', 1e9)], limits).probabilities.get('huge')).toBe(1e-5);
  });
});
