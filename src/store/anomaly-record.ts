import { z } from 'zod';
import { ScoredTraceSchema } from '../scoring/scored-trace.js';

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
