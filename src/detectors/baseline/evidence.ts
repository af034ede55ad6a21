/** What the baseline found surprising in a trace: evidence items and the score they add up to. */
import type { LatencySummary } from './summary.js';
import { toT } from './log-sketch.js';

export type EvidenceKind =
  | 'self-time'
  | 'duration'
  | 'error'
  | 'unseen-path'
  | 'missing-path'
  | 'call-count'
  | 'network-gap'
  | 'orphans'
  | 'root-missing';

/** One surprising fact about a trace, with what normal looked like. Times in µs. */
export interface Evidence {
  kind: EvidenceKind;
  /** How surprising, >= 0: z above the offset for latencies, weighted excess -ln(p) for frequencies. */
  surprise: number;
  /** Index into profile.callPaths; for a missing path, its parent's index (-1 when top-level). */
  path: number;
  /** The call path's key (for a missing path, the path that is missing). */
  pathKey: string;
  service: string;
  operation: string;
  /** The span the evidence is about (slowest, first error origin), -1 when none (missing path). */
  span: number;
  /** Observed value: µs for latencies and gaps, spans for call counts, error origins for errors. */
  observed: number;
  /** Normal median and p99 (µs for latencies and gaps, calls for counts). */
  normalP50?: number;
  normalP99?: number;
  /** Robust z (latencies and gaps). */
  z?: number;
  /** How often this happens normally: share of traces (paths), of spans (errors). */
  frequency?: number;
  /** How many normal traces (spans, for errors) that share was measured on: a sentence says how many. */
  sample?: number;
  clientService?: string;
  serverService?: string;
  /** Which model judged it: the endpoint's own, or all traffic pooled. */
  source: 'endpoint' | 'pooled';
}

export interface BaselineScore {
  /** Sum of the topK largest surprises (latencies on the tail spread); 0 when nothing is unusual. */
  score: number;
  endpoint: string;
  model: 'endpoint' | 'pooled';
  /** Most surprising first. */
  evidence: Evidence[];
}

/** Robust z of a latency against its normal (median and jitter spread on the log scale). */
export function latencyZ(us: number, s: LatencySummary): number {
  return (toT(us) - s.med) / s.scale;
}
