import type { BaselineModel } from '../detectors/baseline/model.js';
import { latencyZ } from '../detectors/baseline/evidence.js';
import type { TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';
import type { RootCause } from './explain.js';
import { formatMs, opName } from './format.js';

/**
 * For a trace with nothing beyond normal variation, which explainTrace then leaves without causes: the spans
 * whose own time sits furthest above their call path's median, ranked by robust z. `--explain all` promises
 * causes for every trace, and "where would I look first" still has an answer when nothing is anomalous;
 * the sentence says plainly that it is within normal variation, so nobody mistakes it for a finding.
 */
export function nearestDeviations(
  trace: Trace,
  profile: TraceProfile,
  model: BaselineModel,
  max = 3,
): RootCause[] {
  const best = new Map<string, { span: number; z: number; p50: number; p99: number }>();
  for (let i = 0; i < trace.spans.length; i++) {
    const cp = profile.callPaths[profile.spanCallPath[i]];
    if (cp === undefined) continue;
    const st = model.pathStats(profile.endpoint.key, cp.key, cp.service, cp.operation);
    const sum = st?.selfSummary;
    if (sum === undefined) continue;
    const z = latencyZ(profile.selfTimeUs[i], sum);
    if (!(z > 0)) continue;
    const key = cp.service + '\u0000' + cp.operation;
    const cur = best.get(key);
    if (cur === undefined || z > cur.z) best.set(key, { span: i, z, p50: sum.p50Us, p99: sum.p99Us });
  }
  const ranked = [...best.values()].sort((a, b) => b.z - a.z || a.span - b.span).slice(0, max);
  const total = ranked.reduce((s, r) => s + r.z, 0);
  return ranked.map((r) => {
    const s = trace.spans[r.span];
    return {
      service: s.service,
      operation: s.operation,
      ...(s.instance !== undefined ? { instance: s.instance } : {}),
      kind: 'latency',
      contribution: Math.floor((r.z / total) * 1000) / 1000,
      evidence: `Within normal variation: the largest deviation is ${opName(s.service, s.operation)} self time ${formatMs(profile.selfTimeUs[r.span])} (normal p50 ${formatMs(r.p50)}, p99 ${formatMs(r.p99)}, ${r.z.toFixed(1)} robust deviations above its median).`,
    };
  });
}
