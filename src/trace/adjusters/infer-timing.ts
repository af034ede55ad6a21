import type { RawSpan, Span } from '../span.js';
import { flag, type AdjustContext } from './context.js';

const valid = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v >= 0;

/** Pre-order of the parent graph (cycles are already broken), iteratively. */
function preOrder(spans: RawSpan[]): number[] {
  const index = new Map<string, number>();
  for (let i = 0; i < spans.length; i++) index.set(spans[i].spanId, i);
  const kids: number[][] = spans.map(() => []);
  const stack: number[] = [];
  for (let i = 0; i < spans.length; i++) {
    const p = spans[i].parentId === undefined ? undefined : index.get(spans[i].parentId!);
    if (p === undefined || p === i) stack.push(i);
    else kids[p].push(i);
  }
  const order: number[] = [];
  while (stack.length > 0) {
    const i = stack.pop()!;
    order.push(i);
    for (const c of kids[i]) stack.push(c);
  }
  return order;
}

/**
 * Fills in what Zipkin allows to be missing: a span without a timestamp starts with its earliest child,
 * else with its parent, else with the trace's earliest known start; a span without a duration lasts until
 * its last child ends, else zero. Negative or non-finite values count as missing. Two linear passes over
 * the tree (children before parents, then parents before children).
 */
export function inferTiming(spans: RawSpan[], ctx: AdjustContext): Span[] {
  let missingStart = 0;
  let missingDuration = 0;
  for (const s of spans) {
    if (!valid(s.start)) missingStart++;
    if (!valid(s.duration)) missingDuration++;
  }
  if (missingStart === 0 && missingDuration === 0) return spans as Span[];

  const index = new Map<string, RawSpan>();
  for (const s of spans) index.set(s.spanId, s);
  const parentOf = (s: RawSpan) => (s.parentId === undefined ? undefined : index.get(s.parentId));
  const order = preOrder(spans);
  const startOk = spans.map((s) => valid(s.start));
  const durationOk = spans.map((s) => valid(s.duration));
  let traceStart = Infinity;
  for (const s of spans) if (valid(s.start) && s.start < traceStart) traceStart = s.start;
  if (traceStart === Infinity) traceStart = 0;

  // Children before parents: a missing start becomes the earliest (possibly inferred) child start.
  const earliestChild = new Map<RawSpan, number>();
  for (let k = order.length - 1; k >= 0; k--) {
    const s = spans[order[k]];
    if (!startOk[order[k]]) {
      const e = earliestChild.get(s);
      if (e !== undefined) {
        s.start = e;
        flag(s, 'start-inferred');
      }
    }
    const p = parentOf(s);
    if (p && valid(s.start)) {
      const e = earliestChild.get(p);
      if (e === undefined || s.start < e) earliestChild.set(p, s.start);
    }
  }
  // Parents before children: what is still missing inherits the parent's start, else the trace's.
  for (const i of order) {
    const s = spans[i];
    if (valid(s.start)) continue;
    const p = parentOf(s);
    s.start = p && valid(p.start) ? p.start : traceStart;
    flag(s, 'start-inferred');
  }
  // Children before parents again: a missing duration runs to the last child end.
  const lastChildEnd = new Map<RawSpan, number>();
  for (let k = order.length - 1; k >= 0; k--) {
    const s = spans[order[k]];
    if (!durationOk[order[k]]) {
      s.duration = Math.max(0, (lastChildEnd.get(s) ?? s.start!) - s.start!);
      flag(s, 'duration-inferred');
    }
    const p = parentOf(s);
    if (p) {
      const end = s.start! + s.duration!;
      const e = lastChildEnd.get(p);
      if (e === undefined || end > e) lastChildEnd.set(p, end);
    }
  }
  if (missingStart) ctx.warn(`${missingStart} spans without a timestamp: start inferred`);
  if (missingDuration) ctx.warn(`${missingDuration} spans without a duration: duration inferred`);
  return spans as Span[];
}
