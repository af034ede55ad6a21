import type { TraceProfile } from './profile.js';

export interface ScalarFeature {
  /** snake_case, unique, stable within a schema version. */
  name: string;
  unit: 'us' | 'count' | 'ratio' | 'bool' | 'levels';
  meaning: string;
  of(p: TraceProfile): number;
}

const ratio = (a: number, b: number, whenZero: number): number => (b > 0 ? a / b : whenZero);

/**
 * Every scalar feature, in vector order. Append new features at the end (and bump the version) so
 * that positions of older features stay put for anyone comparing vectors across versions by name.
 */
export const SCALAR_FEATURES: readonly ScalarFeature[] = [
  {
    name: 'duration_us',
    unit: 'us',
    meaning: 'earliest span start to latest span end',
    of: (p) => p.durationUs,
  },
  { name: 'root_duration_us', unit: 'us', meaning: "the root span's duration", of: (p) => p.rootDurationUs },
  { name: 'span_count', unit: 'count', meaning: 'spans in the trace', of: (p) => p.spanCount },
  { name: 'depth', unit: 'levels', meaning: 'levels of the span tree', of: (p) => p.depth },
  { name: 'service_count', unit: 'count', meaning: 'distinct services', of: (p) => p.services.length },
  {
    name: 'operation_count',
    unit: 'count',
    meaning: 'distinct (service, operation) pairs',
    of: (p) => p.operationCount,
  },
  { name: 'call_path_count', unit: 'count', meaning: 'distinct call paths', of: (p) => p.callPaths.length },
  { name: 'error_spans', unit: 'count', meaning: 'spans marked as errors', of: (p) => p.errorSpans },
  {
    name: 'error_ratio',
    unit: 'ratio',
    meaning: 'error spans / spans (0 for an empty trace)',
    of: (p) => ratio(p.errorSpans, p.spanCount, 0),
  },
  { name: 'root_error', unit: 'bool', meaning: 'the root span is an error', of: (p) => +p.rootError },
  {
    name: 'completeness',
    unit: 'ratio',
    meaning: "share of the root's duration covered by the union of its direct children, clipped to the root",
    of: (p) => p.completeness,
  },
  {
    name: 'span_duration_ratio',
    unit: 'ratio',
    meaning: 'sum of span durations / duration_us (Salesforce completeness; 0 when duration_us is 0)',
    of: (p) => p.spanDurationRatio,
  },
  {
    name: 'orphan_spans',
    unit: 'count',
    meaning: 'spans whose parent is not in the trace',
    of: (p) => p.orphans,
  },
  { name: 'root_missing', unit: 'bool', meaning: 'no span is a true root', of: (p) => +p.rootMissing },
  { name: 'async_spans', unit: 'count', meaning: 'producer and consumer spans', of: (p) => p.asyncSpans },
  {
    name: 'timing_inferred_spans',
    unit: 'count',
    meaning: 'spans whose start or duration was inferred',
    of: (p) => p.timingInferredSpans,
  },
  {
    name: 'skew_adjusted_spans',
    unit: 'count',
    meaning: 'spans shifted to correct clock skew',
    of: (p) => p.skewAdjustedSpans,
  },
  {
    name: 'id_deduped_spans',
    unit: 'count',
    meaning: 'spans given a new id (clashes, split shared spans)',
    of: (p) => p.idDedupedSpans,
  },
  {
    name: 'cycle_broken_spans',
    unit: 'count',
    meaning: 'spans detached to break a parent cycle',
    of: (p) => p.cycleBrokenSpans,
  },
  {
    name: 'max_children',
    unit: 'count',
    meaning: 'most direct children of one span',
    of: (p) => p.fanOut.maxChildren,
  },
  {
    name: 'mean_children',
    unit: 'count',
    meaning: 'mean direct children over spans that have any',
    of: (p) => p.fanOut.meanChildren,
  },
  {
    name: 'max_repeat',
    unit: 'count',
    meaning: 'most calls to one operation under one parent span (retries, N+1)',
    of: (p) => p.fanOut.maxRepeat,
  },
  {
    name: 'cross_service_calls',
    unit: 'count',
    meaning: 'parent-child pairs in different services',
    of: (p) => p.fanOut.crossServiceCalls,
  },
  {
    name: 'service_edge_count',
    unit: 'count',
    meaning: 'distinct caller -> callee services',
    of: (p) => p.edges.length,
  },
  {
    name: 'max_edge_calls',
    unit: 'count',
    meaning: 'most calls over one caller -> callee service edge',
    of: (p) => p.edges.reduce((m, e) => (e.calls > m ? e.calls : m), 0),
  },
  {
    name: 'root_self_time_us',
    unit: 'us',
    meaning: "root's duration not covered by its children",
    of: (p) => (p.rootSpan >= 0 ? p.selfTimeUs[p.rootSpan] : 0),
  },
  {
    name: 'root_self_time_ratio',
    unit: 'ratio',
    meaning: 'root_self_time_us / root_duration_us (0 for a zero-length root)',
    of: (p) => ratio(p.rootSpan >= 0 ? p.selfTimeUs[p.rootSpan] : 0, p.rootDurationUs, 0),
  },
  {
    name: 'network_hops',
    unit: 'count',
    meaning: 'client spans -> server spans of another service',
    of: (p) => p.networkHops.reduce((s, h) => s + h.count, 0),
  },
  {
    name: 'network_gap_total_us',
    unit: 'us',
    meaning: 'sum over those pairs of client duration - server duration',
    of: (p) => p.networkHops.reduce((s, h) => s + h.totalGapUs, 0),
  },
  {
    name: 'network_gap_max_us',
    unit: 'us',
    meaning: 'largest single client - server gap (0 without pairs)',
    of: (p) =>
      p.networkHops.length === 0 ? 0 : p.networkHops.reduce((m, h) => Math.max(m, h.maxGapUs), -Infinity),
  },
  {
    name: 'critical_path_spans',
    unit: 'count',
    meaning: 'spans with time on the critical path',
    of: (p) => p.criticalPath.length,
  },
  {
    name: 'critical_path_top_service_share',
    unit: 'ratio',
    meaning: 'largest share of the critical path held by one service',
    of: (p) => (p.criticalPathShares.length > 0 ? p.criticalPathShares[0].share : 0),
  },
  {
    name: 'critical_path_top_span_share',
    unit: 'ratio',
    meaning: 'largest share of the critical path held by one span (1 for a zero-length root)',
    of: (p) =>
      ratio(
        p.criticalPath.reduce((m, e) => (e.timeUs > m ? e.timeUs : m), 0),
        p.rootDurationUs,
        p.criticalPath.length > 0 ? 1 : 0,
      ),
  },
];

export const SCALAR_FEATURE_NAMES: readonly string[] = SCALAR_FEATURES.map((f) => f.name);

/** The profile as a fixed-order numeric vector (order: SCALAR_FEATURE_NAMES). */
export function scalarFeatures(profile: TraceProfile): Float64Array {
  const out = new Float64Array(SCALAR_FEATURES.length);
  for (let k = 0; k < SCALAR_FEATURES.length; k++) out[k] = SCALAR_FEATURES[k].of(profile);
  return out;
}
