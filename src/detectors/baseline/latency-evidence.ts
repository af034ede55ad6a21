import { toT } from './log-sketch.js';
import { latencyZ, type Evidence } from './evidence.js';
import type { BaselineOptions } from './options.js';
import type { PathStats } from './population.js';
import { addEvidence, pooledOf, type PathBase, type ScoreContext } from './score-context.js';
import type { LatencySummary } from './summary.js';

/** Surprise of a latency against the spread that covers the normal tail: what it adds to the score. */
export function tailSurprise(us: number, s: LatencySummary, o: BaselineOptions): number {
  return Math.max(0, (toT(us) - s.med) / s.tailScale - o.zOffset);
}

/** The stats path p's latencies and errors are judged on, and whose they are; undefined when too few. */
export interface JudgingStats {
  stats: PathStats;
  source: Evidence['source'];
}

/** The endpoint's own stats of path p when it saw enough spans of it, else its operation's pooled stats. */
export function judgingStats(
  ctx: ScoreContext,
  p: number,
  own: PathStats | undefined,
): JudgingStats | undefined {
  const min = ctx.o.minPathSamples;
  if (own !== undefined && own.spans >= min) return { stats: own, source: 'endpoint' };
  const pl = pooledOf(ctx, p);
  return pl !== undefined && pl.spans >= min ? { stats: pl, source: 'pooled' } : undefined;
}

/** Self time and duration of path p's slowest spans, each when beyond its normal. */
export function latencyEvidence(ctx: ScoreContext, p: number, base: PathBase, lat: JudgingStats): void {
  const { obs } = ctx;
  addLatency(ctx, base, lat.source, 'self-time', obs.maxSelf[p], obs.maxSelfSpan[p], lat.stats.selfSummary!);
  addLatency(ctx, base, lat.source, 'duration', obs.maxDur[p], obs.maxDurSpan[p], lat.stats.durSummary!);
}

function addLatency(
  ctx: ScoreContext,
  base: PathBase,
  source: Evidence['source'],
  kind: 'self-time' | 'duration',
  us: number,
  span: number,
  sum: LatencySummary,
): void {
  const o = ctx.o;
  const z = latencyZ(us, sum);
  if (z <= o.zOffset) return;
  const e: Evidence = {
    ...base,
    kind,
    surprise: z - o.zOffset,
    span,
    observed: us,
    normalP50: sum.p50Us,
    normalP99: sum.p99Us,
    z,
    source,
  };
  addEvidence(ctx, e, tailSurprise(us, sum, o));
}
