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

export const ScoredTraceSchema = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  service: z.string(),
  operation: z.string(),
  startTime: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  spanCount: z.number().int().nonnegative(),
  score: z.number().min(0).max(1),
  surprise: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      '-log10 of the probability that normal traffic looks at least this unusual (all detectors combined). ' +
        'Unbounded: keeps growing where score has saturated at 1; 6 means one normal trace in a million. ' +
        'Absent on traces judged without a model.',
    ),
  impact: z
    .object({
      addedMs: z
        .number()
        .nonnegative()
        .describe("root span duration above the endpoint's normal median, ms (0 when no normal is known)"),
      errors: z.number().int().nonnegative().describe('spans where an error started'),
    })
    .optional()
    .describe('what the trace cost its caller; with surprise, what order=score ranks by'),
  anomalous: z.boolean(),
  detectors: z.record(z.string(), z.number()),
  rootCauses: z.array(RootCauseSchema),
});
export type ScoredTrace = z.infer<typeof ScoredTraceSchema>;
