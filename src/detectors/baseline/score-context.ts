import { endpointKey } from '../../trace/endpoint-key.js';
import type { Evidence } from './evidence.js';
import type { BaselineProfile, BaselineTrace } from './input.js';
import { observePaths, type PathObservations } from './observe.js';
import type { BaselineOptions } from './options.js';
import type { PathStats, Population } from './population.js';

/**
 * What the passes of scoreTrace share while scoring one trace: its profile and observations, the models
 * judging it, and the evidence found so far with what each item adds to the score.
 */
export interface ScoreContext {
  trace: BaselineTrace;
  profile: BaselineProfile;
  obs: PathObservations;
  /** The endpoint's own model; undefined when the endpoint is too rare and `pooled` must do. */
  endpoint: Population | undefined;
  pooled: Population;
  o: BaselineOptions;
  /** Which model judges the trace as a whole. */
  source: Evidence['source'];
  /** -ln of the frequency below which an event starts to count. */
  rareLog: number;
  evidence: Evidence[];
  /** What each item adds to the trace's score, aligned with evidence: latencies count on the tail spread. */
  parts: number[];
  /** Pooled stats of each call path's operation, looked up on first use (null: none). */
  pooledStats: (PathStats | null | undefined)[];
}

export function scoreContext(
  trace: BaselineTrace,
  profile: BaselineProfile,
  endpoint: Population | undefined,
  pooled: Population,
  o: BaselineOptions,
): ScoreContext {
  return {
    trace,
    profile,
    obs: observePaths(trace, profile),
    endpoint,
    pooled,
    o,
    source: endpoint ? 'endpoint' : 'pooled',
    rareLog: -Math.log(o.rareFrequency),
    evidence: [],
    parts: [],
    pooledStats: new Array(profile.callPaths.length),
  };
}

export function addEvidence(ctx: ScoreContext, e: Evidence, part = e.surprise): void {
  ctx.evidence.push(e);
  ctx.parts.push(part);
}

/** Surprise of an event of probability p: weighted -ln(p) beyond the rare frequency, 0 when not rarer. */
export function freqSurprise(ctx: ScoreContext, p: number): number {
  const s = -Math.log(p) - ctx.rareLog;
  return s > 0 ? s * ctx.o.frequencyWeight : 0;
}

/** Pooled stats of path p's operation. Looked up only where the endpoint's own do not serve (most paths). */
export function pooledOf(ctx: ScoreContext, p: number): PathStats | undefined {
  let st = ctx.pooledStats[p];
  if (st === undefined) {
    const cp = ctx.profile.callPaths[p];
    ctx.pooledStats[p] = st = ctx.pooled.paths.get(endpointKey(cp.service, cp.operation)) ?? null;
  }
  return st ?? undefined;
}

/** The fields every evidence item about call path p starts from. */
export type PathBase = Pick<Evidence, 'path' | 'pathKey' | 'service' | 'operation'>;
