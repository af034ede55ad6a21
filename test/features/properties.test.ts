import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { criticalPath } from '../../src/features/critical-path.js';
import { extractProfile } from '../../src/features/profile.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { RawSpan } from '../../src/trace/span.js';
import type { Trace } from '../../src/trace/trace.js';
import { raw, TRACE_ID } from './build.js';

/**
 * Random trees with small integer times: children may overflow, precede or outlive their parent, overlap
 * their siblings or have zero length, so every truncation rule is exercised.
 */
const arbTree = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.array(fc.nat(), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 0, max: 60 }), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 0, max: 40 }), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
    ),
  )
  .map(([n, parents, starts, durations, services]) => {
    const spans: RawSpan[] = [];
    for (let i = 0; i < n; i++)
      spans.push(
        raw({
          id: i + 1,
          parent: i === 0 ? undefined : (parents[i] % i) + 1,
          op: `s${services[i]}:op${services[i]}`,
          start: starts[i],
          duration: durations[i],
        }),
      );
    return spans;
  });

const tree = (spans: RawSpan[]) => normalizeTrace(TRACE_ID, structuredClone(spans), { clockSkew: false });

/**
 * The same CRISP rules written the slow, obvious way (recursion is fine for 40 spans): scan every child
 * at every step instead of the prefix-argmax index.
 */
function referenceCriticalPath(t: Trace): Float64Array {
  const time = new Float64Array(t.spans.length);
  const end = (i: number) => t.spans[i].start + t.spans[i].duration;
  const walk = (s: number, lo: number, cut: number): void => {
    while (cut > lo) {
      let best = -1;
      for (const c of t.children[s]) {
        if (t.spans[c].start >= cut || end(c) <= lo) continue;
        if (best < 0 || end(c) > end(best)) best = c;
      }
      if (best < 0) break;
      const cEnd = Math.min(end(best), cut);
      const cStart = Math.max(t.spans[best].start, lo);
      time[s] += cut - cEnd;
      walk(best, cStart, cEnd);
      cut = cStart;
    }
    if (cut > lo) time[s] += cut - lo;
  };
  walk(t.root, t.spans[t.root].start, end(t.root));
  return time;
}

/** Self time by painting each µs a child covers: an oracle independent of the interval sweep. */
function referenceSelfTime(t: Trace, i: number): number {
  const s = t.spans[i];
  const covered = new Uint8Array(s.duration);
  for (const c of t.children[i]) {
    const cs = t.spans[c];
    for (let u = cs.start; u < cs.start + cs.duration; u++)
      if (u >= s.start && u < s.start + s.duration) covered[u - s.start] = 1;
  }
  return s.duration - covered.reduce((a, b) => a + b, 0);
}

describe('feature properties on random trees', () => {
  it('critical-path contributions sum to the root duration and match the reference walk', () => {
    fc.assert(
      fc.property(arbTree, (spans) => {
        const t = tree(spans);
        const cp = criticalPath(t);
        const sum = cp.timeUs.reduce((a, b) => a + b, 0);
        expect(sum).toBe(t.spans[t.root].duration);
        expect(Array.from(cp.timeBySpan)).toEqual(Array.from(referenceCriticalPath(t)));
        for (let i = 0; i < t.spans.length; i++) {
          expect(cp.timeBySpan[i]).toBeGreaterThanOrEqual(0);
          expect(cp.timeBySpan[i]).toBeLessThanOrEqual(t.spans[i].duration);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('critical-path contributions still sum to the root duration after clock-skew correction', () => {
    fc.assert(
      fc.property(arbTree, (spans) => {
        const t = normalizeTrace(TRACE_ID, structuredClone(spans));
        const p = extractProfile(t);
        expect(p.criticalPath.reduce((a, e) => a + e.timeUs, 0)).toBe(p.rootDurationUs);
        expect(Array.from(criticalPath(t).timeBySpan)).toEqual(Array.from(referenceCriticalPath(t)));
      }),
      { numRuns: 200 },
    );
  });

  it('self time lies within [0, duration] and matches painting', () => {
    fc.assert(
      fc.property(arbTree, (spans) => {
        const t = tree(spans);
        const p = extractProfile(t);
        for (let i = 0; i < t.spans.length; i++) {
          expect(p.selfTimeUs[i]).toBeGreaterThanOrEqual(0);
          expect(p.selfTimeUs[i]).toBeLessThanOrEqual(t.spans[i].duration);
          expect(p.selfTimeUs[i]).toBe(referenceSelfTime(t, i));
        }
        expect(p.completeness).toBeGreaterThanOrEqual(0);
        expect(p.completeness).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('per-service critical-path shares sum to 1', () => {
    fc.assert(
      fc.property(arbTree, (spans) => {
        const p = extractProfile(tree(spans));
        const total = p.criticalPathShares.reduce((a, s) => a + s.share, 0);
        expect(total).toBeCloseTo(1, 12);
        expect(p.services.reduce((a, s) => a + s.criticalPathShare, 0)).toBeCloseTo(1, 12);
      }),
      { numRuns: 300 },
    );
  });

  it('call paths partition the spans, and the signature ignores input order', () => {
    fc.assert(
      fc.property(arbTree, fc.integer(), (spans, seed) => {
        const p = extractProfile(tree(spans));
        expect(p.callPaths.reduce((a, c) => a + c.count, 0)).toBe(spans.length);
        expect(p.callPaths.every((c, i) => c.parent < i)).toBe(true);
        // a deterministic shuffle of the input
        const shuffled = spans
          .map((s, i) => ({ s, k: Math.imul(i + 1, seed | 1) >>> 0 }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.s);
        expect(extractProfile(tree(shuffled)).signature).toBe(p.signature);
      }),
      { numRuns: 200 },
    );
  });
});
