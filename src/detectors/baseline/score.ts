import { errorEvidence } from './error-evidence.js';
import type { BaselineScore } from './evidence.js';
import type { BaselineProfile, BaselineTrace } from './input.js';
import { networkGapEvidence } from './gap-evidence.js';
import { judgingStats, latencyEvidence } from './latency-evidence.js';
import type { BaselineOptions } from './options.js';
import type { Population } from './population.js';
import { scoreContext, type ScoreContext } from './score-context.js';
import {
  callCountEvidence,
  lostSpanEvidence,
  missingPathEvidence,
  unseenPathEvidence,
} from './structure-evidence.js';

/**
 * Scores one trace. `endpoint` is undefined when the endpoint is too rare and `pooled` must do. Each pass adds
 * the evidence of one kind of surprise: per call path its structure, latency, errors and call count, then
 * the usual calls it lacks, the network gaps and the spans it lost.
 */
export function scoreTrace(
  trace: BaselineTrace,
  profile: BaselineProfile,
  endpoint: Population | undefined,
  pooled: Population,
  o: BaselineOptions,
): BaselineScore {
  const ctx = scoreContext(trace, profile, endpoint, pooled, o);
  const cps = profile.callPaths;
  for (let p = 0; p < cps.length; p++) {
    const cp = cps[p];
    const own = endpoint?.paths.get(cp.key);
    const base = { path: p, pathKey: cp.key, service: cp.service, operation: cp.operation };
    unseenPathEvidence(ctx, p, base, own);
    const lat = judgingStats(ctx, p, own);
    if (lat !== undefined) latencyEvidence(ctx, p, base, lat);
    errorEvidence(ctx, p, base, lat);
    callCountEvidence(ctx, p, base, own);
  }
  missingPathEvidence(ctx);
  networkGapEvidence(ctx);
  lostSpanEvidence(ctx);
  return ranked(ctx);
}

/** The evidence most surprising first, and the score: the sum of the topK largest parts. */
function ranked(ctx: ScoreContext): BaselineScore {
  const { evidence: ev, parts, o } = ctx;
  ev.sort(
    (a, b) => b.surprise - a.surprise || a.path - b.path || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0),
  );
  parts.sort((a, b) => b - a);
  let score = 0;
  for (let k = 0; k < parts.length && k < o.topK; k++) score += parts[k];
  if (ev.length > o.maxEvidence) ev.length = o.maxEvidence;
  return { score, endpoint: ctx.profile.endpoint.key, model: ctx.source, evidence: ev };
}
