import type { RawSpan } from './span.js';
import { buildTrace, type Trace } from './trace.js';
import type { AdjustContext } from './adjusters/context.js';
import { dedupeSpanIds } from './adjusters/dedupe-span-ids.js';
import { breakCycles } from './adjusters/break-cycles.js';
import { inferTiming } from './adjusters/infer-timing.js';
import { adjustClockSkew } from './adjusters/clock-skew.js';
import { reportMissingRoot } from './adjusters/missing-root.js';

export interface NormalizeOptions {
  /** Skip the clock-skew adjuster (for data whose clocks are known good, or to measure skew). */
  clockSkew?: boolean;
}

/** The chain: ids first (later steps index by id), then cycles, timing gaps, skew, and the root check. */
export function normalizeTrace(traceId: string, raw: RawSpan[], opts: NormalizeOptions = {}): Trace {
  const warnings: string[] = [];
  const ctx: AdjustContext = { traceId, warn: (m) => warnings.push(m) };
  let spans = dedupeSpanIds(raw, ctx);
  spans = breakCycles(spans, ctx);
  let timed = inferTiming(spans, ctx);
  if (opts.clockSkew !== false) timed = adjustClockSkew(timed, ctx);
  timed = reportMissingRoot(timed, ctx);
  return buildTrace(traceId, timed, warnings, ctx.index);
}

/** Groups raw spans by trace id, keeping first-seen order of traces. */
export function groupByTrace(spans: Iterable<RawSpan>): Map<string, RawSpan[]> {
  const groups = new Map<string, RawSpan[]>();
  for (const s of spans) {
    let g = groups.get(s.traceId);
    if (!g) groups.set(s.traceId, (g = []));
    g.push(s);
  }
  return groups;
}
