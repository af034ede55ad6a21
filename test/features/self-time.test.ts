import { describe, expect, it } from 'vitest';
import { extractProfile } from '../../src/features/profile.js';
import { selfTimes } from '../../src/features/self-time.js';
import { at, build } from './build.js';

describe('self time', () => {
  it('subtracts the union of overlapping children, clipped to the parent', () => {
    const t = build([
      { id: 1, op: 'a:root', start: 0, duration: 100 },
      { id: 2, parent: 1, op: 'a:c1', start: 10, duration: 40 }, // 10..50
      { id: 3, parent: 1, op: 'a:c2', start: 30, duration: 40 }, // 30..70, overlaps c1
      { id: 4, parent: 1, op: 'a:c3', start: 90, duration: 30 }, // 90..120, overflows the root
      { id: 5, parent: 2, op: 'a:g1', start: 20, duration: 10 }, // 20..30
      { id: 6, parent: 2, op: 'a:g2', start: 25, duration: 35 }, // 25..60, overflows c1
    ]);
    const self = selfTimes(t);
    // root: children cover [10,70] ∪ [90,100] = 60 + 10 = 70 -> 100 - 70 = 30
    expect(self[at(t, 1)]).toBe(30);
    // c1 (10..50): g1 ∪ g2 clipped = [20,50] = 30 -> 40 - 30 = 10
    expect(self[at(t, 2)]).toBe(10);
    // leaves keep their whole duration
    expect(self[at(t, 3)]).toBe(40);
    expect(self[at(t, 4)]).toBe(30);
    expect(self[at(t, 5)]).toBe(10);
    expect(self[at(t, 6)]).toBe(35);

    const p = extractProfile(t);
    expect(Array.from(p.selfTimeUs)).toEqual(Array.from(self));
    expect(p.services).toHaveLength(1);
    expect(p.services[0].selfTimeUs).toBe(30 + 10 + 40 + 30 + 10 + 35);
    // completeness: the root's children cover 70 of its 100 µs
    expect(p.completeness).toBe(0.7);
  });

  it('children that touch or nest add nothing twice', () => {
    const t = build([
      { id: 1, op: 'a:root', start: 0, duration: 100 },
      { id: 2, parent: 1, op: 'a:x', start: 0, duration: 50 }, // 0..50
      { id: 3, parent: 1, op: 'a:y', start: 10, duration: 5 }, // inside x
      { id: 4, parent: 1, op: 'a:z', start: 50, duration: 25 }, // 50..75, touches x
      { id: 5, parent: 1, op: 'a:w', start: 200, duration: 5 }, // entirely after the root
    ]);
    // covered = [0,75] = 75 -> self 25
    expect(selfTimes(t)[at(t, 1)]).toBe(25);
  });
});

describe('completeness', () => {
  it('shows a gap left by a missing span', () => {
    // B (30..60) was never collected: the root's children explain 30 + 40 of its 100 µs.
    const t = build([
      { id: 1, op: 'a:root', start: 0, duration: 100 },
      { id: 2, parent: 1, op: 'b:A', start: 0, duration: 30 },
      { id: 4, parent: 1, op: 'b:C', start: 60, duration: 40 },
    ]);
    const p = extractProfile(t);
    expect(p.completeness).toBe(0.7);
    // Salesforce's ratio: (100 + 30 + 40) / 100
    expect(p.spanDurationRatio).toBe(1.7);
    expect(p.selfTimeUs[p.rootSpan]).toBe(30);
  });

  it('is 0 for a root without children and 1 for a zero-length root', () => {
    expect(extractProfile(build([{ id: 1, op: 'a:root', start: 5, duration: 50 }])).completeness).toBe(0);
    const zero = extractProfile(build([{ id: 1, op: 'a:root', start: 5, duration: 0 }]));
    expect(zero.completeness).toBe(1);
    expect(zero.spanDurationRatio).toBe(0);
  });
});
