import type { BaselineModel } from '../detectors/baseline/model.js';
import type { BaselineScore, EvidenceKind } from '../detectors/baseline/evidence.js';
import type { TraceProfile } from '../features/profile.js';
import { rootNormal } from './impact.js';

/** Evidence that only says some part of the trace took longer. */
const LATENCY_ONLY: ReadonlySet<EvidenceKind> = new Set(['self-time', 'duration', 'network-gap']);

/**
 * Whether a trace the detectors find surprising changed what its caller got: an error, calls made differently,
 * spans lost, or, when the baseline saw only slower spans, an answer slower than 99% of the endpoint's normal
 * ones. A span a few milliseconds over its own tail inside a request of normal length is the jitter of a busy
 * machine (on the OpenTelemetry testbed most fault-free flags were such: a 3.6 ms network gap against a 2.3 ms
 * p99 inside a 15 ms request whose p99 is 27 ms), not something to show at 3 a.m. Slowdowns too small for any
 * one request to feel are the incident signals' business, which judge a minute's latency whether traces are
 * flagged or not; the score still ranks such traces above normal ones.
 */
export function feltByCaller(score: BaselineScore, profile: TraceProfile, baseline: BaselineModel): boolean {
  // No evidence of the baseline's own: the vector models flagged a shape it cannot see (calls ending early,
  // a mix of timings), which is theirs to judge.
  if (score.evidence.length === 0) return true;
  for (const e of score.evidence) if (!LATENCY_ONLY.has(e.kind)) return true;
  if (profile.rootMissing) return true;
  const normal = rootNormal(profile, baseline);
  return normal === undefined || profile.rootDurationUs > normal.p99Us;
}
