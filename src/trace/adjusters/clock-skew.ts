import type { Span } from '../span.js';
import { flag, spanIndex, type AdjustContext } from './context.js';

/** Where a span's clock lives: its instance when known, else its service (one process, one clock). */
function clockOf(s: Span): string {
  return s.instance ?? s.service;
}

/** Async hand-offs legitimately outlive or follow their parent: they are not skew. */
function isAsync(child: Span, parent: Span): boolean {
  return child.kind === 'consumer' || parent.kind === 'producer' || child.kind === 'producer';
}

/**
 * Corrects clock skew between hosts, in the manner of Jaeger's clock-skew adjuster: a child on another
 * clock that starts before its parent or ends after it is shifted into the parent, centred when it fits
 * (the gap split evenly between request and response latency), else aligned on the parent's start.
 * The shift applies to the whole subtree that shares the child's clock. Parents are adjusted before
 * children, iteratively in pre-order.
 */
export function adjustClockSkew(spans: Span[], ctx: AdjustContext): Span[] {
  const index = spanIndex(spans, ctx);
  const kids: number[][] = spans.map(() => []);
  const tops: number[] = [];
  for (let i = 0; i < spans.length; i++) {
    const p = spans[i].parentId === undefined ? undefined : index.get(spans[i].parentId!);
    if (p === undefined || p === i) tops.push(i);
    else kids[p].push(i);
  }
  // Parallel stacks (span, delta inherited from its parent's clock, that clock): no tuple per span.
  const stack: number[] = [...tops];
  const inheritedDelta: number[] = tops.map(() => 0);
  const inheritedClock: (string | null)[] = tops.map(() => null);
  let shifted = 0;
  while (stack.length > 0) {
    const i = stack.pop()!;
    const inherited = inheritedDelta.pop()!;
    const fromClock = inheritedClock.pop()!;
    const s = spans[i];
    const clock = clockOf(s);
    let delta = clock === fromClock ? inherited : 0;
    const pi = s.parentId === undefined ? undefined : index.get(s.parentId);
    if (pi !== undefined && pi !== i && clock !== clockOf(spans[pi]) && !isAsync(s, spans[pi])) {
      const p = spans[pi]; // already adjusted
      const start = s.start + delta;
      if (start < p.start || start + s.duration > p.start + p.duration) {
        const target =
          s.duration > p.duration ? p.start : p.start + Math.floor((p.duration - s.duration) / 2);
        delta += target - start;
      }
    }
    if (delta !== 0) {
      s.start += delta;
      flag(s, 'clock-skew');
      shifted++;
    }
    for (const c of kids[i]) {
      stack.push(c);
      inheritedDelta.push(delta);
      inheritedClock.push(clock);
    }
  }
  if (shifted) ctx.warn(`${shifted} spans shifted to correct clock skew`);
  return spans;
}
