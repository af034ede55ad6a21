import type { Span } from '../span.js';
import { spanIndex, type AdjustContext } from './context.js';

/**
 * A trace whose root span was never collected has only orphans at the top. The tree builder takes the
 * earliest of them as the root; this step says so, and notes traces with several true roots.
 */
export function reportMissingRoot(spans: Span[], ctx: AdjustContext): Span[] {
  const ids = spanIndex(spans, ctx);
  let trueRoots = 0;
  let orphans = 0;
  for (const s of spans) {
    if (s.parentId === undefined) trueRoots++;
    else if (!ids.has(s.parentId)) orphans++;
  }
  if (spans.length > 0 && trueRoots === 0)
    ctx.warn(`root span missing: ${orphans} orphan span${orphans === 1 ? '' : 's'}, earliest taken as root`);
  else if (trueRoots > 1) ctx.warn(`${trueRoots} root spans; the earliest is the trace's root`);
  return spans;
}
