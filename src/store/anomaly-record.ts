import { z } from 'zod';
import { RootCauseSchema, ScoredTraceSchema } from '../scoring/scored-trace.js';

/** A span as an anomaly keeps it: enough to read the trace without Jaeger. */
export const CompactSpanSchema = z.object({
  spanId: z.string(),
  parentId: z.string().optional(),
  service: z.string(),
  operation: z.string(),
  instance: z.string().optional(),
  /** µs since the epoch. */
  start: z.number(),
  /** µs. */
  duration: z.number(),
  error: z.boolean(),
  /** p50 and p99 (µs) of this span's call path in the model's training traffic: what "slow" is measured by. */
  normal: z.object({ p50: z.number(), p99: z.number() }).optional(),
  /** The span spends time on the root span's critical path. */
  critical: z.boolean().optional(),
});
export type CompactSpan = z.infer<typeof CompactSpanSchema>;

/** A feature value beside its baseline, as an engineer compares them. */
export const FeatureComparisonSchema = z.object({
  name: z.string(),
  value: z.number(),
  normalP50: z.number().optional(),
  normalP99: z.number().optional(),
  unit: z.string().optional(),
});

/** A stored anomaly: the scored-trace record plus what the API and webhooks add. */
export const AnomalySchema = ScoredTraceSchema.extend({
  /** Stable id: the trace id (scoring a trace twice never stores it twice). */
  id: z.string(),
  detectedAt: z.iso.datetime(),
  /** Where the trace came from (a source name, "push" or "api"). */
  source: z.string().optional(),
  /** The trace in Jaeger UI or Zipkin UI, when the source has a UI address. */
  link: z.string().optional(),
  spans: z.array(CompactSpanSchema).optional(),
  features: z.array(FeatureComparisonSchema).optional(),
  feedback: z
    .object({
      verdict: z.enum(['true-positive', 'false-positive']),
      note: z.string().optional(),
      at: z.iso.datetime(),
    })
    .optional(),
});
export type Anomaly = z.infer<typeof AnomalySchema>;

/**
 * An anomaly as the store keeps it: the record, and the causes that did not make `rootCauses` (a share under
 * the cut or past the tenth; explain's topCauses), which `GET /v1/anomalies/{id}?explain=all` appends.
 */
export const StoredAnomalySchema = AnomalySchema.extend({
  otherCauses: z.array(RootCauseSchema).optional(),
});
export type StoredAnomaly = z.infer<typeof StoredAnomalySchema>;

/** What readers get of a stored anomaly: every candidate cause in `rootCauses` with 'all', else the top ones. */
export function anomalyView(stored: StoredAnomaly, causes: 'top' | 'all' = 'top'): Anomaly {
  const { otherCauses, ...a } = stored;
  return causes === 'all' && otherCauses?.length
    ? { ...a, rootCauses: [...a.rootCauses, ...otherCauses] }
    : a;
}
