import { describe, expect, it } from 'vitest';
import { byRank, rankKey, surpriseOf, type Rankable } from '../../src/scoring/rank.js';

const r = (surprise: number, errors = 0, addedMs = 0): Rankable => ({
  score: 1,
  surprise,
  impact: { errors, addedMs },
});

describe('rank', () => {
  it('orders by surprise first, in whole decibans', () => {
    const sorted = [r(3), r(12.5), r(7)].sort(byRank).map((s) => s.surprise);
    expect(sorted).toEqual([12.5, 7, 3]);
  });

  it('within one deciban, errors then added latency decide, then the exact surprise', () => {
    const items = [r(8.01, 0, 900), r(8.05, 0, 10), r(8.02, 2, 0), r(8.09, 0, 10), r(8.5, 0, 0)];
    expect(items.sort(byRank).map((s) => [s.surprise, s.impact?.errors, s.impact?.addedMs])).toEqual([
      [8.5, 0, 0],
      [8.02, 2, 0],
      [8.01, 0, 900],
      [8.09, 0, 10],
      [8.05, 0, 10],
    ]);
  });

  it('falls back to the score for records without a surprise', () => {
    expect(surpriseOf({ score: 0.999 })).toBeCloseTo(3, 9);
    expect(surpriseOf({ score: 1 })).toBe(16);
    expect(surpriseOf({ score: 0 })).toBe(0);
  });

  it('a discount takes surprise off, never below zero', () => {
    expect(rankKey(r(9), 4).surprise).toBe(5);
    expect(rankKey(r(9), 4).decibans).toBe(50);
    expect(rankKey(r(3), 4).surprise).toBe(0);
  });
});
