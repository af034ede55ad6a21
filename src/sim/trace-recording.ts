/** What a trace being built records: its spans, and the faults that changed it and where. */
import type { Attributes, SpanKind } from '../trace/span.js';
import type { InstanceRt } from './compile.js';
import type { RootCause } from './faults.js';
import { randomSpanId } from './seeded-random.js';
import type { LiveFault, Rec, TraceCtx } from './engine-state.js';

/** Records that `fault` changed this trace at `root`; with a weight, the heaviest place wins. */
export function touchFault(ctx: TraceCtx, fault: LiveFault, root: RootCause, weight = 0): void {
  for (const t of ctx.touches)
    if (t.fault === fault) {
      if (weight > t.weight) {
        t.root = root;
        t.weight = weight;
      }
      return;
    }
  ctx.touches.push({ fault, root, weight });
}

export function recordSpan(
  ctx: TraceCtx,
  parent: number,
  inst: InstanceRt,
  name: string,
  kind: SpanKind,
  rel: number,
  attrs: Attributes,
  dropped: boolean,
): Rec {
  const r: Rec = {
    id: randomSpanId(ctx.rng),
    parent,
    inst,
    name,
    kind,
    rel,
    dur: 0,
    error: false,
    attrs,
    dropped,
  };
  ctx.recs.push(r);
  return r;
}
