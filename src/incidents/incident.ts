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
  /** ISO 8601: the end of the minute whose judgement opened the incident (when a page could first go out). */
  openedAt: z.iso.datetime().optional(),
  /** Endpoints (`service:operation`) whose traffic the incident touched. */
  endpoints: z.array(z.string()),
  /** Distinct signals that fired, strongest first (one per kind and target, its strongest minute). */
  signals: z.array(SignalSchema),
  /** Ids of anomalous traces in the incident, highest-scored first, capped (see `traceCount`). */
  traceIds: z.array(z.string()),
  traceCount: z.number().int().nonnegative(),
  rootCauses: z.array(IncidentRootCauseSchema),
  /**
   * Set when a person took the incident on (`POST /v1/incidents/{id}/acknowledge`): no more update pages go
   * out for it; the incident goes on collecting signals and resolves as before.
   */
  acknowledgedAt: z.iso.datetime().optional(),
  /** Who acknowledged: the name given with the request, else the API key's digest prefix. */
  acknowledgedBy: z.string().optional(),
  acknowledgeNote: z.string().optional(),
  /** How it ended: `auto` after its quiet spell, `manual` when a person resolved it through the API. */
  resolvedBy: z.enum(['auto', 'manual']).optional(),
  /** manual: who resolved it (as for acknowledgedBy) and their note. */
  resolvedByName: z.string().optional(),
  resolveNote: z.string().optional(),
  /** Incremented on every change, so a receiver can order updates. */
  revision: z.number().int().nonnegative(),
});
export type Incident = z.infer<typeof IncidentSchema>;

export const INCIDENT_EVENT_TYPES = [
  'incident.opened',
  'incident.updated',
  'incident.acknowledged',
  'incident.resolved',
] as const;
export type IncidentEventType = (typeof INCIDENT_EVENT_TYPES)[number];
/** What a person says with an acknowledge or a resolve. */
export interface IncidentAction {
  /** ISO 8601: when it was asked for. */
  at: string;
  by?: string;
  note?: string;
}

export interface IncidentEvent {
  type: IncidentEventType;
  incident: Incident;
}

/** What a person can do to an open incident through the API. */
export const INCIDENT_ACTION_KINDS = ['acknowledge', 'resolve'] as const;
export type IncidentActionKind = (typeof INCIDENT_ACTION_KINDS)[number];

/** How an acknowledge or resolve request ended. */
export type ActionOutcome =
  | { outcome: 'not-found' }
  /** An acknowledgement of an incident that has ended. */
  | { outcome: 'resolved'; incident: Incident }
  /** applied false: queued, the job applies it after the minute it is judging (202). */
  | { outcome: 'done'; incident: Incident; applied: boolean };

/** The API's view of whoever applies those requests. */
export interface IncidentActionsApi {
  act(kind: IncidentActionKind, id: string, said: { by?: string; note?: string }): Promise<ActionOutcome>;
}
