import type { Trace } from '../trace/trace.js';

/**
 * Critical path of a trace's root span, after Uber's CRISP: walk back from the parent's end, descend
 * into the child that ends last before the current cut, and give the parent the gaps no child covers.
 *
 * Truncation rules (they make the contributions sum exactly to the root's duration):
 * - a child is clipped to its parent's part on the path: it ends no later than the cut at which it was
 *   chosen (an overflowing child is cut at the parent's end; an overlapping sibling counts only up to
 *   the start of the sibling already on the path) and starts no earlier than the parent's start;
 * - after a child is walked, the parent's cut moves to the child's (clipped) start;
 * - a child that ends at or before the parent's start, or starts at or after the cut, is not a candidate.
 * Ties (two children ending at or past the cut) go to the one with the later raw end, then the earlier start.
 *
 * Iterative with typed-array frames: a 10k-level chain needs no call stack.
 */
export interface CriticalPath {
  /**
   * Span index and µs of critical-path time of each span that spends time on the path, in the order the
   * walk enters them (parents before their children, later work before earlier work among siblings).
   */
  spans: Int32Array;
  timeUs: Float64Array;
  /** Critical-path µs of every span of the trace (0 off the path). */
  timeBySpan: Float64Array;
}

/** Children of all spans in one flat array, with each parent's running argmax of child end time. */
function prefixLatestEnd(trace: Trace, end: Float64Array): { offset: Int32Array; best: Int32Array } {
  const n = trace.spans.length;
  const offset = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offset[i + 1] = offset[i] + trace.children[i].length;
  const best = new Int32Array(offset[n]);
  for (let i = 0; i < n; i++) {
    const kids = trace.children[i];
    let arg = -1;
    for (let k = 0; k < kids.length; k++) {
      if (arg < 0 || end[kids[k]] > end[arg]) arg = kids[k];
      best[offset[i] + k] = arg;
    }
  }
  return { offset, best };
}

export function criticalPath(trace: Trace): CriticalPath {
  const { spans, children, root } = trace;
  const n = spans.length;
  const timeBySpan = new Float64Array(n);
  if (root < 0) return { spans: new Int32Array(0), timeUs: new Float64Array(0), timeBySpan };

  const start = new Float64Array(n);
  const end = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    start[i] = spans[i].start;
    end[i] = spans[i].start + spans[i].duration;
  }
  const { offset, best } = prefixLatestEnd(trace, end);

  // Frame: span, its lower bound, the current cut, and how many of its children (by start) may still
  // start before the cut. The stack never holds more than one frame per tree level.
  const fSpan = new Int32Array(trace.maxDepth + 2);
  const fLo = new Float64Array(trace.maxDepth + 2);
  const fCut = new Float64Array(trace.maxDepth + 2);
  const fLeft = new Int32Array(trace.maxDepth + 2);
  const visit: number[] = [];
  let top = 0;
  fSpan[0] = root;
  fLo[0] = start[root];
  fCut[0] = end[root];
  fLeft[0] = children[root].length;
  visit.push(root);

  while (top >= 0) {
    const s = fSpan[top];
    const lo = fLo[top];
    const cut = fCut[top];
    if (cut <= lo) {
      top--;
      continue;
    }
    const kids = children[s];
    let left = fLeft[top];
    while (left > 0 && start[kids[left - 1]] >= cut) left--;
    fLeft[top] = left;
    const c = left > 0 ? best[offset[s] + left - 1] : -1;
    if (c < 0 || end[c] <= lo) {
      // No child runs in (lo, cut): that stretch is the span's own.
      timeBySpan[s] += cut - lo;
      top--;
      continue;
    }
    const cEnd = end[c] < cut ? end[c] : cut;
    const cStart = start[c] > lo ? start[c] : lo;
    timeBySpan[s] += cut - cEnd;
    fCut[top] = cStart;
    top++;
    fSpan[top] = c;
    fLo[top] = cStart;
    fCut[top] = cEnd;
    fLeft[top] = children[c].length;
    visit.push(c);
  }

  // A child is never chosen twice (the cut moves to its start), so `visit` has no repeats. Spans that
  // added nothing (zero-length hand-offs, fully covered parents) are left out; a zero-length root stays.
  const outSpans: number[] = [];
  for (const v of visit) if (timeBySpan[v] > 0) outSpans.push(v);
  if (outSpans.length === 0) outSpans.push(root);
  const timeUs = new Float64Array(outSpans.length);
  for (let k = 0; k < outSpans.length; k++) timeUs[k] = timeBySpan[outSpans[k]];
  return { spans: Int32Array.from(outSpans), timeUs, timeBySpan };
}
