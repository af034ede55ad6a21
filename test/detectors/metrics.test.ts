import { describe, expect, it } from 'vitest';
import { prAuc, rocAuc } from '../../src/detectors/metrics.js';

describe('rocAuc', () => {
  it('counts the share of correctly ordered positive/negative pairs', () => {
    // Pairs (pos, neg): (0.35,0.1) ok, (0.35,0.4) wrong, (0.8,*) ok -> 3/4.
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([3, 2, 1], [true, false, false])).toBe(1);
    expect(rocAuc([3, 2, 1], [false, false, true])).toBe(0);
  });

  it('counts ties as half', () => {
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    // pos 2 vs negs {1, 2, 3}: 1 + 0.5 + 0 = 1.5 of 3.
    expect(rocAuc([1, 2, 3, 2], [0, 0, 0, 1])).toBe(0.5);
  });

  it('refuses single-class labels and length mismatches', () => {
    expect(() => rocAuc([1, 2], [1, 1])).toThrow(/both positive and negative/);
    expect(() => rocAuc([1, 2], [1])).toThrow(/2 scores but 1 labels/);
  });
});

describe('prAuc (average precision)', () => {
  it('matches a hand-computed value', () => {
    // Ranked: 0.8 (pos) P=1 R=.5; 0.4 (neg); 0.35 (pos) P=2/3 R=1 -> 0.5 + 0.5 * 2/3.
    expect(prAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.8333333333, 9);
  });

  it('takes tied scores as one threshold', () => {
    // All tied: one step to recall 1 at precision 1/2.
    expect(prAuc([1, 1, 1, 1], [1, 0, 1, 0])).toBe(0.5);
  });
});
