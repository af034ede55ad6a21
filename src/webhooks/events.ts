import type { Anomaly } from '../store/anomaly-record.js';

/** The events a webhook can subscribe to. `webhook.test` is only sent on request and passes every filter. */
export const WEBHOOK_EVENT_TYPES = [
  'anomaly.detected',
  'incident.opened',
  'incident.updated',
  'incident.resolved',
  'webhook.test',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * What a webhook needs to render an incident. The incident module owns the real record; this is the
 * minimal shape the formats read. Times are ISO-8601 strings, like the anomaly record's.
 */
export interface IncidentEvent {
  id: string;
  status: 'open' | 'resolved';
  title: string;
  start: string;
  end?: string;
  /** `service:operation` entries. */
  endpoints: string[];
  rootCauses: { service: string; operation?: string; score: number; evidence: string }[];
  traceIds: string[];
  /** A page about the incident, when the service has a public address. */
  link?: string;
}

export interface WebhookTestData {
  webhookId: string;
  message: string;
}

interface Envelope<T extends WebhookEventType, D> {
  /** Stable: enqueuing the same event twice yields the same delivery ids. */
  id: string;
  type: T;
  /** ISO-8601. */
  timestamp: string;
  data: D;
}

export type AnomalyWebhookEvent = Envelope<'anomaly.detected', Anomaly>;
export type IncidentWebhookEvent = Envelope<
  'incident.opened' | 'incident.updated' | 'incident.resolved',
  IncidentEvent
>;
export type TestWebhookEvent = Envelope<'webhook.test', WebhookTestData>;
export type WebhookEvent = AnomalyWebhookEvent | IncidentWebhookEvent | TestWebhookEvent;

/** One event per anomaly (keyed by its id, the trace id), so re-scoring a trace never notifies twice. */
export function anomalyEvent(anomaly: Anomaly): AnomalyWebhookEvent {
  return {
    id: `anomaly_${anomaly.id}`,
    type: 'anomaly.detected',
    timestamp: anomaly.detectedAt,
    data: anomaly,
  };
}

/**
 * An incident event. `revision` tells updates apart (an update counter or the update time); leave it out for
 * opened/resolved, which happen once per incident.
 */
export function incidentEvent(
  type: IncidentWebhookEvent['type'],
  incident: IncidentEvent,
  at: string,
  revision?: string | number,
): IncidentWebhookEvent {
  const rev = revision === undefined ? '' : `_${revision}`;
  return { id: `incident_${incident.id}_${type.split('.')[1]}${rev}`, type, timestamp: at, data: incident };
}

export function testEvent(webhookId: string, nonce: string, at: string): TestWebhookEvent {
  return {
    id: `test_${nonce}`,
    type: 'webhook.test',
    timestamp: at,
    data: { webhookId, message: 'Tracehound test event: this webhook is reachable.' },
  };
}
