import { z } from 'zod';
import { RootCauseSchema, type ScoredTrace } from '../scoring/scored-trace.js';

/** One scored trace of a session, as the session store keeps it: a line of the session page, not the trace. */
export const SessionTraceSchema = z.object({
  traceId: z.string(),
  startTime: z.iso.datetime(),
  service: z.string().describe("the root span's service: with operation, the trace's endpoint"),
  operation: z.string(),
  durationMs: z.number().nonnegative(),
  score: z.number(),
  anomalous: z.boolean(),
  attribute: z.string().describe('the span attribute that named the session (e.g. session.id)'),
  rootCause: RootCauseSchema.pick({ service: true, operation: true, kind: true, evidence: true })
    .optional()
    .describe('anomalous traces: the first root cause and its sentence (the anomaly has them all)'),
});
export type SessionTrace = z.infer<typeof SessionTraceSchema>;

/** A session as listed: how many traces and anomalies it keeps, and when its first and last traces began. */
export const SessionSummarySchema = z.object({
  id: z.string(),
  traces: z.number().int().nonnegative(),
  anomalies: z.number().int().nonnegative(),
  firstSeen: z.iso.datetime().describe('start of the earliest trace kept'),
  lastSeen: z.iso.datetime().describe('start of the latest trace kept'),
});
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

export const SessionSchema = SessionSummarySchema.extend({
  items: z.array(SessionTraceSchema).describe('its traces, oldest first'),
});
export type Session = z.infer<typeof SessionSchema>;

/** The line a scored trace adds to its session. */
export function sessionTrace(s: ScoredTrace, attribute: string): SessionTrace {
  const rc = s.anomalous ? s.rootCauses[0] : undefined;
  return {
    traceId: s.traceId,
    startTime: s.startTime,
    service: s.service,
    operation: s.operation,
    durationMs: s.durationMs,
    score: s.score,
    anomalous: s.anomalous,
    attribute,
    ...(rc && {
      rootCause: {
        service: rc.service,
        ...(rc.operation !== undefined && { operation: rc.operation }),
        kind: rc.kind,
        evidence: rc.evidence,
      },
    }),
  };
}
