import { z } from 'zod';

/**
 * The scored-trace contract: one CLI NDJSON line, one API item. Extend it; never rename a field.
 */
export const RootCauseSchema = z.object({
  service: z.string(),
  operation: z.string().optional(),
  instance: z.string().optional(),
  kind: z.enum(['latency', 'error', 'structure', 'network', 'instrumentation']),
  contribution: z.number().min(0).max(1),
  evidence: z.string(),
});
export type RootCauseRecord = z.infer<typeof RootCauseSchema>;

export const ScoredTraceSchema = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  service: z.string(),
  operation: z.string(),
  startTime: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  spanCount: z.number().int().nonnegative(),
  score: z.number().min(0).max(1),
  anomalous: z.boolean(),
  detectors: z.record(z.string(), z.number()),
  rootCauses: z.array(RootCauseSchema),
});
export type ScoredTrace = z.infer<typeof ScoredTraceSchema>;
