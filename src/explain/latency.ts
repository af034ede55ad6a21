import type { BaselineModel } from '../detectors/baseline/model.js';
import { toT } from '../detectors/baseline/log-sketch.js';
import type { BaselineScore } from '../detectors/baseline/evidence.js';
import type { TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';

/** Self time above this robust z counts as excess worth blaming (below it, normal jitter). */
const BLAME_Z = 2;

/** Excess time of one service:operation on the critical path. Times in µs. */
export interface LatencyBlame {
  kind: 'latency' | 'instrumentation';
  service: string;
  operation: string;
  /** Sum over its spans of critical-path time beyond the normal median self time. */
  excessUs: number;
  /** Sum of self time and of critical-path time of the blamed spans. */
  selfUs: number;
  criticalUs: number;
  spans: number;
  /** The span with the most excess. */
  worstSpan: number;
  normalP50Us: number;
  normalP99Us: number;
  /** Instrumentation only: the usual child call that is missing. */
  missingPathKey?: string;
  missingSurprise?: number;
  /** Instrumentation only: the service and operation whose span is missing. */
  missingService?: string;
  missingOperation?: string;
}

/** A usual child call that is not in the trace. */
interface MissingChild {
  key: string;
  surprise: number;
  service: string;
  operation: string;
}

/**
 * Blames excess latency on the spans whose own time grew, weighted by how much of that time lies on the
 * critical path. A caller that merely waited has normal self time and gets nothing. Self time of a client
 * span whose hop has a network-gap finding is left to that finding; self time of a span whose usual child
 * is missing is time no span explains, so it is blamed as instrumentation instead.
 */
export function blameLatency(
  trace: Trace,
  profile: TraceProfile,
  model: BaselineModel,
  score: BaselineScore,
): LatencyBlame[] {
  const { spans, children } = trace;
  const cps = profile.callPaths;
  const cpBySpan = new Float64Array(spans.length);
  for (const e of profile.criticalPath) cpBySpan[e.span] += e.timeUs;

  const gapPaths = new Set<number>();
  const missingUnder = new Map<number, MissingChild>();
  for (const e of score.evidence) {
    if (e.kind === 'network-gap') gapPaths.add(e.path);
    if (e.kind === 'missing-path' && e.path >= 0 && !missingUnder.has(e.path)) {
      missingUnder.set(e.path, {
        key: e.pathKey,
        surprise: e.surprise,
        service: e.service,
        operation: e.operation,
      });
    }
  }

  // A client span no server span answers, on a path whose calls are normally answered: the callee's span
  // was lost, and the client's whole duration is time no span explains.
  const endpointModel = model.endpointModel(profile.endpoint.key);
  const answers = new Map<string, MissingChild | null>();
  const lostAnswer = (i: number): MissingChild | undefined => {
    if (endpointModel === undefined || spans[i].kind !== 'client' || children[i].length > 0) return undefined;
    const cp = cps[profile.spanCallPath[i]];
    let a = answers.get(cp.key);
    if (a === undefined) {
      a = null;
      const own = endpointModel.paths.get(cp.key);
      let most = 0;
      for (const u of endpointModel.pathList)
        if (u.parentKey === cp.key && u.service !== cp.service && u.traces > most) {
          most = u.traces;
          a = { key: u.key, surprise: 0, service: u.service, operation: u.operation };
        }
      if (own === undefined || 2 * most < own.traces) a = null;
      answers.set(cp.key, a);
    }
    return a ?? undefined;
  };

  const groups = new Map<string, LatencyBlame>();
  const worstExcess = new Map<string, number>();
  for (const entry of profile.criticalPath) {
    const i = entry.span;
    const cpT = cpBySpan[i];
    if (cpT <= 0) continue;
    const p = profile.spanCallPath[i];
    const cp = cps[p];
    const st = model.pathStats(profile.endpoint.key, cp.key, cp.service, cp.operation);
    if (st === undefined) continue;
    const ss = st.selfSummary!;
    const self = profile.selfTimeUs[i];
    if ((toT(self) - ss.med) / ss.scale < BLAME_Z) continue;
    let onGap = false;
    for (const c of children[i]) if (gapPaths.has(profile.spanCallPath[c])) onGap = true;
    if (onGap) continue;
    const excess = Math.min(self, cpT) - ss.p50Us;
    if (excess <= 0) continue;
    const missing = missingUnder.get(p) ?? lostAnswer(i);
    const kind = missing ? 'instrumentation' : 'latency';
    const key = kind + '\u0000' + cp.service + '\u0000' + cp.operation;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        kind,
        service: cp.service,
        operation: cp.operation,
        excessUs: 0,
        selfUs: 0,
        criticalUs: 0,
        spans: 0,
        worstSpan: i,
        normalP50Us: ss.p50Us,
        normalP99Us: ss.p99Us,
        missingPathKey: missing?.key,
        missingSurprise: missing?.surprise,
        missingService: missing?.service,
        missingOperation: missing?.operation,
      };
      groups.set(key, g);
    }
    g.excessUs += excess;
    g.selfUs += self;
    g.criticalUs += cpT;
    g.spans++;
    if (excess > (worstExcess.get(key) ?? -1)) {
      worstExcess.set(key, excess);
      g.worstSpan = i;
      g.normalP50Us = ss.p50Us;
      g.normalP99Us = ss.p99Us;
    }
  }
  return [...groups.values()];
}
