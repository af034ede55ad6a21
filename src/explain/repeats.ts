import type { TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';

/** What the calls on one call path reached, and how they fared. */
export interface RepeatedCalls {
  /** The service and operation that served the calls (the server span below a client span, else the span). */
  callee: { service: string; operation: string };
  calls: number;
  failed: number;
}

/**
 * Looks at the calls of one call path to tell retries from an N+1. More calls than usual to a callee that
 * is failing are the callee's doing (clients retry failed calls, and a call that timed out failed too);
 * more calls to a healthy callee are the caller's code asking too often.
 */
export function repeatedCalls(trace: Trace, profile: TraceProfile, path: number): RepeatedCalls {
  const { spans, children } = trace;
  const cp = profile.callPaths[path];
  const calleeCounts = new Map<string, { service: string; operation: string; n: number }>();
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
  return { callee, calls, failed };
}

/**
 * Client spans of a call path that no server span answers. Fewer server spans than the calls made to
 * them means the server's spans were lost (not reported, or sampled away), not that fewer calls were made.
 */
export function unansweredCalls(trace: Trace, profile: TraceProfile, clientPath: number): number {
  const { spans, children } = trace;
  let n = 0;
  for (let i = 0; i < spans.length; i++) {
    if (profile.spanCallPath[i] !== clientPath || spans[i].kind !== 'client') continue;
    let answered = false;
    for (const c of children[i]) if (spans[c].kind === 'server') answered = true;
    if (!answered) n++;
  }
  return n;
}
