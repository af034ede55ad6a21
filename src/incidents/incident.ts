import { z } from 'zod';
import { SignalSchema } from './signal.js';

/**
 * The incident contract: one API item, one element of `tracehound incidents --output`, one webhook payload's
 * subject. Extend it; never rename a field.
 */
export const IncidentRootCauseSchema = z.object({
  service: z.string(),
  operation: z.string().optional(),
  instance: z.string().optional(),
  /** An attribute value over-represented in the incident's traces (BubbleUp), as `key=value`. */
  attribute: z.string().optional(),
  /** Relative likelihood, 0..1; the list is sorted by it, most likely first. */
  score: z.number().min(0).max(1),
  evidence: z.string(),
});
export type IncidentRootCause = z.infer<typeof IncidentRootCauseSchema>;

export const INCIDENT_STATUSES = ['open', 'resolved'] as const;

export const IncidentSchema = z.object({
  id: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  /** ISO 8601: the first minute a signal fired, and the end of the last minute it fired (or now while open). */
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  resolvedAt: z.iso.datetime().optional(),
  /** Endpoints (`service:operation`) whose traffic the incident touched. */
  endpoints: z.array(z.string()),
  /** Distinct signals that fired, strongest first (one per kind and target, its strongest minute). */
  signals: z.array(SignalSchema),
  /** Ids of anomalous traces in the incident, highest-scored first, capped (see `traceCount`). */
  traceIds: z.array(z.string()),
  traceCount: z.number().int().nonnegative(),
  rootCauses: z.array(IncidentRootCauseSchema),
  /** Incremented on every change, so a receiver can order updates. */
  revision: z.number().int().nonnegative(),
});
export type Incident = z.infer<typeof IncidentSchema>;

export const INCIDENT_EVENT_TYPES = ['incident.opened', 'incident.updated', 'incident.resolved'] as const;
export type IncidentEventType = (typeof INCIDENT_EVENT_TYPES)[number];
export interface IncidentEvent {
  type: IncidentEventType;
  incident: Incident;
}
