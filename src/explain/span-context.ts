import type { BaselineModel } from '../detectors/baseline/model.js';
import { extractProfile, type TraceProfile } from '../features/profile.js';
import type { KeptSpan } from '../trace/kept-spans.js';
import type { Trace } from '../trace/trace.js';

/** What an engineer needs beside each span to see "slow": its call path's normal range, and the critical path. */
export interface SpanContext {
  /** p50 and p99 of the span's call path in training (µs), when the model knows the path well enough. */
  normal?: { p50: number; p99: number };
  /** The span spends time on the root's critical path. */
  critical: boolean;
}

/** One entry per span of `trace`, in its order. Pure: reads the trained baseline, changes nothing. */
export function spanContext(trace: Trace, profile: TraceProfile, baseline: BaselineModel): SpanContext[] {
  const onCritical = new Set(profile.criticalPath.filter((e) => e.timeUs > 0).map((e) => e.span));
  // Spans of one path share its range: look each path up once.
  const byPath = profile.callPaths.map((cp) => {
    const s = baseline.pathStats(profile.endpoint.key, cp.key, cp.service, cp.operation)?.durSummary;
    return s && s.n > 0 ? { p50: s.p50Us, p99: s.p99Us } : undefined;
  });
  return trace.spans.map((_, i) => {
    const normal = byPath[profile.spanCallPath[i]];
    return { ...(normal ? { normal } : {}), critical: onCritical.has(i) };
  });
}

/**
 * A span as the anomaly view shows it (the API's CompactSpanSchema has this shape): ids, call, timing,
 * error, and with a model its call path's normal range and whether it is on the critical path.
 */
export interface ViewSpan extends KeptSpan, Partial<SpanContext> {}

/** The spans of `trace` as the anomaly view shows them; with a baseline, each with its SpanContext. */
export function viewSpans(trace: Trace, baseline?: BaselineModel, profile?: TraceProfile): ViewSpan[] {
  const context = baseline ? spanContext(trace, profile ?? extractProfile(trace), baseline) : undefined;
  return trace.spans.map((s, i) => ({
    spanId: s.spanId,
    parentId: s.parentId,
    service: s.service,
    operation: s.operation,
    instance: s.instance,
    start: s.start,
    duration: s.duration,
    error: s.error,
    ...context?.[i],
  }));
}
