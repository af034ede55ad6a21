import type { RawSpan } from '../span.js';
import { flag, spanIndex, type AdjustContext } from './context.js';

/**
 * Breaks cycles in parent references (a -> b -> a), which corrupt collectors can produce.
 * In each cycle the earliest-starting span loses its parent and becomes a top-level span.
 * Iterative with colouring: O(n), no recursion.
 */
export function breakCycles<T extends RawSpan>(spans: T[], ctx: AdjustContext): T[] {
  const index = spanIndex(spans, ctx);
  // 0 = unvisited, 1 = on the current path, 2 = done
  const state = new Uint8Array(spans.length);
  let broken = 0;
  const path: number[] = [];
  for (let s = 0; s < spans.length; s++) {
    if (state[s]) continue;
    path.length = 0;
    let i: number | undefined = s;
    while (i !== undefined && state[i] === 0) {
      state[i] = 1;
      path.push(i);
      const pid: string | undefined = spans[i].parentId;
      i = pid === undefined ? undefined : index.get(pid);
    }
    if (i !== undefined && state[i] === 1) {
      // The path from i onwards is a cycle.
      const cycle = path.slice(path.indexOf(i));
      let victim = cycle[0];
      for (const c of cycle) if ((spans[c].start ?? Infinity) < (spans[victim].start ?? Infinity)) victim = c;
      spans[victim].parentId = undefined;
      flag(spans[victim], 'cycle-broken');
      broken++;
    }
    for (const p of path) state[p] = 2;
  }
  if (broken) ctx.warn(`${broken} parent-reference cycle${broken > 1 ? 's' : ''} broken`);
  return spans;
}
