import { describe, expect, it } from 'vitest';
import { criticalPath } from '../../src/features/critical-path.js';
import { extractProfile } from '../../src/features/profile.js';
import type { Trace } from '../../src/trace/trace.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { at, build, raw, TRACE_ID } from './build.js';

/** Critical-path time by spec id, spans with no time left out. */
function cpById(t: Trace): Record<number, number> {
  const cp = criticalPath(t);
  const out: Record<number, number> = {};
  for (let k = 0; k < cp.spans.length; k++) out[parseInt(t.spans[cp.spans[k]].spanId, 16)] = cp.timeUs[k];
  return out;
}

describe('critical path', () => {
  it('sequential children: each child, and the parent in the gaps', () => {
    const t = build([
      { id: 1, op: 'a:root', start: 0, duration: 100 },
      { id: 2, parent: 1, op: 'b:A', start: 10, duration: 30 }, // 10..40
      { id: 3, parent: 1, op: 'c:B', start: 50, duration: 40 }, // 50..90
    ]);
    // From 100 back: root 90..100, B 50..90, root 40..50, A 10..40, root 0..10.
    expect(cpById(t)).toEqual({ 1: 30, 2: 30, 3: 40 });
    // Walk order: root, then the later child first.
    expect(Array.from(criticalPath(t).spans)).toEqual([at(t, 1), at(t, 3), at(t, 2)]);
  });

  it('parallel children: the last to finish, then what ran before it started', () => {
    const t = build([
      { id: 1, op: 'a:root', start: 0, duration: 100 },
      { id: 2, parent: 1, op: 'b:A', start: 10, duration: 70 }, // 10..80
      { id: 3, parent: 1, op: 'b:B', start: 20, duration: 40 }, // 20..60, hidden under A and C
      { id: 4, parent: 1, op: 'c:C', start: 30, duration: 60 }, // 30..90
    ]);
    // Cut 100: C ends last (90): root 90..100 = 10, C 30..90 = 60. Cut 30: A and B both started
    // before it; both reach past 30, so the tie goes to the later raw end (A): A 10..30 = 20.
    // Cut 10: root 0..10 = 10. B never is on the path.
    expect(cpById(t)).toEqual({ 1: 20, 2: 20, 4: 60 });
    const p = extractProfile(t);
    // shares: a 20/100, b 20/100, c 60/100
    expect(p.criticalPathShares).toEqual([
      { service: 'c', share: 0.6 },
      { service: 'a', share: 0.2 },
      { service: 'b', share: 0.2 },
    ]);
  });

  it('truncates a child overflowing its parent at the parent end, at every level', () => {
    const t = build([
      { id: 1, op: 'a:root', start: 0, duration: 100 },
      { id: 2, parent: 1, op: 'a:A', start: 60, duration: 90 }, // 60..150 -> 60..100
      { id: 3, parent: 2, op: 'a:A1', start: 90, duration: 50 }, // 90..140 -> 90..100
    ]);
    // root: 0..60; A: 60..90; A1: 90..100.
    expect(cpById(t)).toEqual({ 1: 60, 2: 30, 3: 10 });
  });

  it('counts an overlapping sibling only up to the cut', () => {
    const t = build([
      { id: 1, op: 'a:root', start: 0, duration: 100 },
      { id: 2, parent: 1, op: 'b:A', start: 0, duration: 70 }, // 0..70, cut at 50 by B
      { id: 3, parent: 1, op: 'c:B', start: 50, duration: 50 }, // 50..100
      { id: 4, parent: 2, op: 'b:A1', start: 55, duration: 10 }, // after the cut: off the path
      { id: 5, parent: 2, op: 'b:A2', start: 10, duration: 10 }, // 10..20
    ]);
    // Cut 100: B 50..100 = 50, root gets nothing. Cut 50: A counts 0..50 only; inside it A2 (20 is the
    // latest end before 50) 10..20 = 10, A itself 20..50 + 0..10 = 40.
    expect(cpById(t)).toEqual({ 2: 40, 3: 50, 5: 10 });
    const p = extractProfile(t);
    expect(p.criticalPath.some((e) => e.span === p.rootSpan)).toBe(false);
    expect(p.criticalPathShares).toEqual([
      { service: 'b', share: 0.5 },
      { service: 'c', share: 0.5 },
    ]);
  });

  it('clips a child that starts before its parent', () => {
    const t = build([
      { id: 1, op: 'a:root', start: 10, duration: 90 }, // 10..100
      { id: 2, parent: 1, op: 'a:X', start: 0, duration: 50 }, // 0..50 -> 10..50
    ]);
    expect(cpById(t)).toEqual({ 1: 50, 2: 40 });
  });

  it('gives a zero-length root the whole (empty) path', () => {
    const t = build([
      { id: 1, op: 'a:root', start: 10, duration: 0 },
      { id: 2, parent: 1, op: 'b:X', start: 10, duration: 0 },
    ]);
    const cp = criticalPath(t);
    expect(Array.from(cp.spans)).toEqual([at(t, 1)]);
    expect(Array.from(cp.timeUs)).toEqual([0]);
    const p = extractProfile(t);
    expect(p.criticalPathShares).toEqual([{ service: 'a', share: 1 }]);
  });

  it('walks a 10k-deep chain without recursion', () => {
    // Span k: k..(2N - k). Each span owns 1 µs before and 1 µs after its child; the deepest owns 2.
    const N = 10_000;
    const specs = [];
    for (let k = 0; k < N; k++)
      specs.push(
        raw({ id: k + 1, parent: k === 0 ? undefined : k, op: 'a:op', start: k, duration: 2 * (N - k) }),
      );
    const t = normalizeTrace(TRACE_ID, specs);
    expect(t.maxDepth).toBe(N - 1);
    const cp = criticalPath(t);
    expect(cp.spans.length).toBe(N);
    expect(cp.timeUs.every((v) => v === 2)).toBe(true);
    const p = extractProfile(t);
    expect(p.depth).toBe(N);
    expect(p.callPaths).toHaveLength(N);
    expect(p.criticalPathShares).toEqual([{ service: 'a', share: 1 }]);
    expect(p.selfTimeUs.every((v) => v === 2)).toBe(true);
  });
});
