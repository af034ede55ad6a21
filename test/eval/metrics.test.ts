import { describe, expect, it } from 'vitest';
import {
  asAtK,
  bestF1,
  f1At,
  prAuc,
  prCurve,
  rankOfFirstHit,
  rankingSummary,
  rocAuc,
  rocCurve,
  thinCurve,
  topK,
} from '../../src/eval/metrics.js';

describe('ROC and PR', () => {
  it('counts a tied positive/negative pair as half (hand-computed 3.5 of 4 pairs)', () => {
    expect(rocAuc([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1])).toBeCloseTo(0.875, 12);
  });

  it('gives 1 for a perfect ranking and 0 for a reversed one', () => {
    const labels = [0, 0, 1, 1];
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], labels)).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], labels)).toBe(0);
    expect(prAuc([0.1, 0.2, 0.8, 0.9], labels)).toBe(1);
    // Reversed: positives found at ranks 3 and 4 -> AP = 0.5 * 1/3 + 0.5 * 2/4.
    expect(prAuc([0.9, 0.8, 0.2, 0.1], labels)).toBeCloseTo(0.5 / 3 + 0.25, 12);
  });

  it('steps the ROC curve once per distinct score, ties as one diagonal step', () => {
    expect(rocCurve([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1])).toEqual([
      { x: 0, y: 0 },
      { x: 0, y: 0.5 },
      { x: 0.5, y: 1 },
      { x: 1, y: 1 },
    ]);
  });

  it('gives precision and recall at each threshold', () => {
    const pts = prCurve([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1]);
    expect(pts.map((p) => p.x)).toEqual([0.5, 1, 1]);
    expect(pts[0].y).toBe(1);
    expect(pts[1].y).toBeCloseTo(2 / 3, 12);
    expect(pts[2].y).toBe(0.5);
  });

  it('rejects mismatched lengths and single-class labels', () => {
    expect(() => rocCurve([1, 2], [1])).toThrow(/2 scores but 1 labels/);
    expect(() => rocCurve([1, 2], [1, 1])).toThrow(/both labels/);
    expect(() => bestF1([1, 2], [0, 0])).toThrow(/positive/);
  });

  it('thins a long curve to the requested size keeping both ends', () => {
    const pts = Array.from({ length: 1000 }, (_, i) => ({ x: i / 999, y: i / 999 }));
    const thin = thinCurve(pts, 10);
    expect(thin).toHaveLength(10);
    expect(thin[0]).toEqual(pts[0]);
    expect(thin[9]).toEqual(pts[999]);
  });
});

describe('F1', () => {
  it('finds the best threshold (hand-computed: >= 0.7 gives P 2/3, R 1, F1 0.8)', () => {
    const r = bestF1([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]);
    expect(r.f1).toBeCloseTo(0.8, 12);
    expect(r.threshold).toBe(0.7);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBe(1);
  });

  it('takes tied scores as one threshold', () => {
    // Both 0.5s are flagged together: tp 1, fp 1, fn 0 -> 2/3; flagging nothing extra is impossible.
    const r = bestF1([0.5, 0.5], [1, 0]);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
  });

  it('scores given flags', () => {
    expect(f1At([1, 1, 0, 0], [1, 0, 1, 0])).toEqual({ f1: 0.5, precision: 0.5, recall: 0.5 });
    expect(f1At([0, 0], [1, 0])).toEqual({ f1: 0, precision: 0, recall: 0 });
  });
});

describe('root-cause ranking', () => {
  it('ranks the first true cause; a miss is length + 1', () => {
    expect(rankOfFirstHit(['a', 'b', 'c'], ['c', 'b'])).toBe(2);
    expect(rankOfFirstHit(['a', 'b', 'c'], ['z'])).toBe(4);
    expect(rankOfFirstHit([], ['z'])).toBe(1);
  });

  it('summarises top-k and mean rank, de-duplicating suggestions', () => {
    const s = rankingSummary(
      [
        { ranked: ['a', 'b'], truth: ['a'] }, // 1
        { ranked: ['a', 'a', 'b'], truth: ['b'] }, // 2 after de-duplication
        { ranked: ['x', 'y'], truth: ['z'] }, // miss, rank 3
      ],
      [1, 2, 3],
    );
    expect(s.cases).toBe(3);
    expect(s.top[1]).toBeCloseTo(1 / 3, 12);
    expect(s.top[2]).toBeCloseTo(2 / 3, 12);
    // The miss has rank 3 but is not a hit at k = 3.
    expect(s.top[3]).toBeCloseTo(2 / 3, 12);
    expect(s.meanRank).toBeCloseTo(2, 12);
  });

  it('computes AS@k as the share of faults whose true service is in the top k', () => {
    const faults = [
      { ranked: ['cart', 'frontend', 'currency'], truth: ['cart'] },
      { ranked: ['frontend', 'ad', 'currency'], truth: ['currency'] },
      { ranked: ['frontend', 'ad'], truth: ['email'] },
      { ranked: ['ad', 'email'], truth: ['email'] },
    ];
    expect(asAtK(faults, 1)).toBe(0.25);
    expect(asAtK(faults, 2)).toBe(0.5);
    expect(asAtK(faults, 3)).toBe(0.75);
    expect(topK(faults, 5)).toBe(0.75);
  });

  it('has no accuracy for no cases', () => {
    const s = rankingSummary([]);
    expect(s.cases).toBe(0);
    expect(s.meanRank).toBeNaN();
  });
});
