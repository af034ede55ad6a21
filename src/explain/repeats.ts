import type { Evidence } from '../detectors/baseline/score.js';
import type { TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';

/** What the calls on one call path reached, and how they fared. */
export interface RepeatedCalls {
  /** The service and operation that served the calls (the server span below a client span, else the span). */
  callee: { service: string; operation: string };
  calls: number;
  failed: number;
  /** A latency finding (self time or duration) on the calls or on the spans serving them. */
  slow: boolean;
}

/**
 * Looks at the calls of one call path to tell retries from an N+1. More calls than usual to a callee that
 * is failing or slow are the callee's doing (clients retry, or time out and retry); more calls to a healthy
 * callee are the caller's code asking too often.
 */
export function repeatedCalls(
  trace: Trace,
  profile: TraceProfile,
  path: number,
  evidence: readonly Evidence[],
): RepeatedCalls {
  const { spans, children } = trace;
  const cp = profile.callPaths[path];
  const calleeCounts = new Map<string, { service: string; operation: string; n: number }>();
  const servingPaths = new Set<number>([path]);
  let calls = 0;
  let failed = 0;
  for (let i = 0; i < spans.length; i++) {
    if (profile.spanCallPath[i] !== path) continue;
    calls++;
    let bad = spans[i].error;
    if (spans[i].kind === 'client') {
      for (const c of children[i]) {
        const s = spans[c];
        if (s.kind !== 'server' || s.service === spans[i].service) continue;
        servingPaths.add(profile.spanCallPath[c]);
        if (s.error) bad = true;
        const k = s.service + '\u0000' + s.operation;
        const x = calleeCounts.get(k);
        if (x === undefined) calleeCounts.set(k, { service: s.service, operation: s.operation, n: 1 });
        else x.n++;
      }
    }
    if (bad) failed++;
  }
  let callee = { service: cp.service, operation: cp.operation };
  let best = 0;
  for (const x of calleeCounts.values())
    if (x.n > best) {
      best = x.n;
      callee = { service: x.service, operation: x.operation };
    }
  let slow = false;
  for (const e of evidence)
    if ((e.kind === 'duration' || e.kind === 'self-time') && servingPaths.has(e.path)) slow = true;
  return { callee, calls, failed, slow };
}
