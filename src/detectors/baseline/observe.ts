import { errorOrigins as originsOf } from '../../trace/error-origins.js';
import type { BaselineProfile, BaselineTrace } from './input.js';

/**
 * Per call path facts the baseline needs beyond TraceProfile: which span was slowest (so evidence can
 * name a span) and where errors started. Columns indexed like `profile.callPaths`.
 */
export interface PathObservations {
  /** Largest self time of one span of the path, µs, and that span. */
  maxSelf: Float64Array;
  maxSelfSpan: Int32Array;
  /** Largest duration of one span of the path, and that span. */
  maxDur: Float64Array;
  maxDurSpan: Int32Array;
  /** Error spans of the path with no error below them: where an error started (see errorOrigins). */
  errorOrigins: Int32Array;
  firstOriginSpan: Int32Array;
}

export function observePaths(trace: BaselineTrace, profile: BaselineProfile): PathObservations {
  const np = profile.callPaths.length;
  const maxSelf = new Float64Array(np).fill(-1);
  const maxSelfSpan = new Int32Array(np).fill(-1);
  const maxDur = new Float64Array(np).fill(-1);
  const maxDurSpan = new Int32Array(np).fill(-1);
  const errorOrigins = new Int32Array(np);
  const firstOriginSpan = new Int32Array(np).fill(-1);
  const { spans } = trace;
  const pathOf = profile.spanCallPath;
  const self = profile.selfTimeUs;
  const origin = originsOf(trace);
  for (let i = 0; i < spans.length; i++) {
    const p = pathOf[i];
    const st = self[i];
    if (st > maxSelf[p]) {
      maxSelf[p] = st;
      maxSelfSpan[p] = i;
    }
    const d = spans[i].duration;
    if (d > maxDur[p]) {
      maxDur[p] = d;
      maxDurSpan[p] = i;
    }
    if (origin[i]) {
      if (errorOrigins[p] === 0) firstOriginSpan[p] = i;
      errorOrigins[p]++;
    }
  }
  return { maxSelf, maxSelfSpan, maxDur, maxDurSpan, errorOrigins, firstOriginSpan };
}
