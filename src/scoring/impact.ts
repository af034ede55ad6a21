import type { BaselineModel } from '../detectors/baseline/model.js';
import type { LatencySummary } from '../detectors/baseline/summary.js';
import type { TraceProfile } from '../features/profile.js';
import { errorOrigins } from '../trace/error-origins.js';
import type { Trace } from '../trace/trace.js';

/** What an anomalous trace cost its caller, beside how surprising it was: see rank.ts. */
export interface TraceImpact {
  /** Root span duration above the endpoint's normal median, ms; 0 when faster or when no normal is known. */
  addedMs: number;
  /** Spans where an error started (an error span with no failing span below it). */
  errors: number;
}

export function traceImpact(trace: Trace, profile: TraceProfile, baseline: BaselineModel): TraceImpact {
  let errors = 0;
  for (const o of errorOrigins(trace)) errors += o;
  const normal = rootNormal(profile, baseline);
  const addedMs = normal === undefined ? 0 : Math.max(0, profile.rootDurationUs - normal.p50Us) / 1000;
  return { addedMs, errors };
}

/** The normal duration of the trace's root call, when the baseline knows it. */
export function rootNormal(profile: TraceProfile, baseline: BaselineModel): LatencySummary | undefined {
  if (profile.rootSpan < 0) return undefined;
  const path = profile.callPaths[profile.spanCallPath[profile.rootSpan]];
  return baseline.pathStats(profile.endpoint.key, path.key, path.service, path.operation)?.durSummary;
}
