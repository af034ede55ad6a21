/**
 * The part a span plays that a cause's evidence depends on: holding the critical path, a call nobody answered,
 * a callee that answered a failed call without failing.
 */
import type { TraceProfile } from '../features/profile.js';
import { peerServiceOf } from '../trace/semconv.js';
import type { Trace } from '../trace/trace.js';

/** Spans on the root's critical path and every span above one of them (a span holding the path). */
export function criticalPathAndAncestors(trace: Trace, profile: TraceProfile): Uint8Array {
  const on = new Uint8Array(trace.spans.length);
  for (const e of profile.criticalPath) for (let i = e.span; i >= 0 && !on[i]; i = trace.parent[i]) on[i] = 1;
  return on;
}

/** The service a client span says it called, when no server span of another service is below it. */
export function unansweredPeer(trace: Trace, span: number): string | undefined {
  const s = trace.spans[span];
  if (s.kind !== 'client') return undefined;
  for (const c of trace.children[span]) if (trace.spans[c].kind === 'server') return undefined;
  const peer = peerServiceOf(s.attributes);
  return peer !== undefined && peer !== s.service ? peer : undefined;
}

/** The server span (of another service) that answered failed client span `span` without failing, or -1. */
export function healthyCallee(trace: Trace, span: number): number {
  const s = trace.spans[span];
  if (s.kind !== 'client' || !s.error) return -1;
  let found = -1;
  for (const c of trace.children[span]) {
    const k = trace.spans[c];
    if (k.kind !== 'server' || k.service === s.service) continue;
    if (k.error) return -1;
    found = c;
  }
  return found;
}
