import type { BaselineScore } from '../detectors/baseline/evidence.js';
import type { BaselineModel } from '../detectors/baseline/model.js';
import type { TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';
import type { Candidate } from './candidate.js';
import { criticalPathAndAncestors } from './span-roles.js';
import { formatMs, opName } from './format.js';
import { blameLatency, type LatencyBlame } from './latency.js';
import { diffuseSlowdown } from './diffuse-slowdown.js';

export interface LatencyCauses {
  cands: Candidate[];
  /** Missing paths an instrumentation gap already tells (their structure finding then adds nothing). */
  absorbedMissing: Set<string>;
}

/**
 * Latency and uncovered time, blamed on the spans whose own time grew. Only slowness on the critical path
 * (or of a span holding it) delayed the trace; a slow span beside it is judged on its own.
 */
export function latencyCauses(
  trace: Trace,
  profile: TraceProfile,
  model: BaselineModel,
  score: BaselineScore,
): LatencyCauses {
  const onPath = criticalPathAndAncestors(trace, profile);
  let latencySurprise = 0;
  for (const e of score.evidence) {
    if ((e.kind === 'self-time' || e.kind === 'duration') && e.surprise > latencySurprise)
      if (e.span < 0 || onPath[e.span]) latencySurprise = e.surprise;
  }
  const blames = blameLatency(trace, profile, model, score);
  let totalExcess = 0;
  for (const b of blames) totalExcess += b.excessUs;
  // Share latency surprise by how much of the end-to-end slowdown each op's excess explains: when slow
  // spans explain little of it (an N+1 adds many normal calls), they get little of the blame.
  const rootSlowdown = endToEndSlowdown(profile, model);
  const latencyBase = Math.max(totalExcess, rootSlowdown);
  const cands: Candidate[] = [];
  const absorbedMissing = new Set<string>();
  for (const b of blames) {
    const share = latencyBase > 0 ? b.excessUs / latencyBase : 0;
    if (b.kind === 'instrumentation') {
      absorbedMissing.add(b.missingPathKey!);
      cands.push(uncoveredTimeCause(b, latencySurprise * share + (b.missingSurprise ?? 0)));
    } else if (latencySurprise > 0) cands.push(slowCause(b, latencySurprise * share));
  }
  offPathCauses(score, onPath, latencyBase, cands);
  const diffuse = latencySurprise > 0 ? diffuseSlowdown(blames) : undefined;
  if (diffuse !== undefined && profile.rootSpan >= 0)
    cands.push({
      kind: 'latency',
      service: profile.endpoint.service,
      operation: profile.endpoint.operation,
      span: profile.rootSpan,
      weight: latencySurprise * diffuse.share,
      evidence: `${opName(profile.endpoint.service, profile.endpoint.operation)}: ${diffuse.evidence}`,
    });
  return { cands, absorbedMissing };
}

const overCalls = (b: LatencyBlame) => (b.spans > 1 ? ` over ${b.spans} calls` : '');

/** Self time on the critical path beyond normal. */
function slowCause(b: LatencyBlame, weight: number): Candidate {
  const onCp = `${formatMs(b.criticalUs)} of it on the critical path`;
  return {
    kind: 'latency',
    service: b.service,
    operation: b.operation,
    span: b.worstSpan,
    weight,
    evidence: `${opName(b.service, b.operation)} self time ${formatMs(b.selfUs)}${overCalls(b)}, normal p50 ${formatMs(b.normalP50Us)} and p99 ${formatMs(b.normalP99Us)}, ${onCp}.`,
  };
}

/** Self time no child span explains, beside a usual call that is missing: a span lost or never made. */
function uncoveredTimeCause(b: LatencyBlame, weight: number): Candidate {
  const missingOp = b.missingPathKey!.slice(b.missingPathKey!.lastIndexOf('>') + 1);
  // The service whose span went missing is the one that lost it (dropped, failed before reporting,
  // or unreachable); the parent only shows the hole. Within one service, the parent is the place.
  const lost = b.missingService !== undefined && b.missingService !== b.service;
  return {
    kind: 'instrumentation',
    service: lost ? b.missingService! : b.service,
    operation: lost ? b.missingOperation! : b.operation,
    span: b.worstSpan,
    weight,
    evidence: `${opName(b.service, b.operation)} has ${formatMs(b.selfUs)} no child span explains${overCalls(b)} (normal self time p50 ${formatMs(b.normalP50Us)}, p99 ${formatMs(b.normalP99Us)}) while its usual call to ${missingOp} is missing: likely an uninstrumented or dropped span.`,
  };
}

/**
 * A slow span beside the critical path is the whole story when the trace's duration is normal (work in a
 * parallel branch); beside a large slowdown on the path it is a detail. Its weight is its own surprise
 * times its share of all the excess time in the trace.
 */
function offPathCauses(
  score: BaselineScore,
  onPath: Uint8Array,
  latencyBase: number,
  cands: Candidate[],
): void {
  for (const e of score.evidence) {
    if (e.kind !== 'self-time' || e.span < 0 || onPath[e.span]) continue;
    const excess = Math.max(0, e.observed - (e.normalP50 ?? 0));
    cands.push({
      kind: 'latency',
      service: e.service,
      operation: e.operation,
      span: e.span,
      weight: excess > 0 ? (e.surprise * excess) / (excess + latencyBase) : 0,
      evidence: `${opName(e.service, e.operation)} self time ${formatMs(e.observed)}, normal p50 ${formatMs(e.normalP50 ?? 0)} and p99 ${formatMs(e.normalP99 ?? 0)}, off the critical path (work beside it took longer), so it slowed this call without delaying the response.`,
    });
  }
}

/** The root's duration beyond its normal median, µs (0 without a model of the root's path). */
function endToEndSlowdown(profile: TraceProfile, model: BaselineModel): number {
  const r = profile.rootSpan;
  if (r < 0) return 0;
  const cp = profile.callPaths[profile.spanCallPath[r]];
  const st = model.pathStats(profile.endpoint.key, cp.key, cp.service, cp.operation);
  return st === undefined ? 0 : Math.max(0, profile.rootDurationUs - st.durSummary!.p50Us);
}
