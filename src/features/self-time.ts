import type { Trace } from '../trace/trace.js';

/**
 * Length of the union of span `i`'s direct children's intervals, each clipped to `i`'s own interval.
 * Children are sorted by start, so clipped starts are non-decreasing and one sweep merges them.
 * Clipping matters: a child that overflows its parent (async work, residual skew) must not make the
 * parent's self time negative.
 */
export function coveredByChildren(trace: Trace, i: number): number {
  const spans = trace.spans;
  const ps = spans[i].start;
  const pe = ps + spans[i].duration;
  const kids = trace.children[i];
  let covered = 0;
  let runStart = 0;
  let runEnd = -Infinity;
  for (let k = 0; k < kids.length; k++) {
    const c = spans[kids[k]];
    const s = c.start > ps ? c.start : ps;
    const ce = c.start + c.duration;
    const e = ce < pe ? ce : pe;
    if (e <= s) continue;
    if (s > runEnd) {
      if (runEnd > runStart) covered += runEnd - runStart;
      runStart = s;
      runEnd = e;
    } else if (e > runEnd) runEnd = e;
  }
  if (runEnd > runStart) covered += runEnd - runStart;
  return covered;
}

/**
 * Self time of every span: its duration minus the time its direct children cover (see
 * coveredByChildren). Always within [0, duration].
 */
export function selfTimes(trace: Trace): Float64Array {
  const n = trace.spans.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = trace.spans[i].duration;
    out[i] = trace.children[i].length === 0 ? d : d - coveredByChildren(trace, i);
  }
  return out;
}
