import type { Incident, IncidentEvent, IncidentEventType } from '../incidents/incident.js';
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
export type IncidentWebhookEvent = Envelope<IncidentEventType, Incident>;
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
 * One webhook event per incident event, carrying the incident record itself. Opened and resolved happen
 * once per incident; an update is named by the incident's revision, so a replayed minute sends nothing new
 * and a receiver can order updates. The timestamp is the incident's own time (the minute that caused the
 * event), so the same event always renders the same.
 */
export function incidentEvent(e: IncidentEvent): IncidentWebhookEvent {
  const i = e.incident;
  const rev = e.type === 'incident.updated' ? `_r${i.revision}` : '';
  return {
    id: `incident_${i.id}_${e.type.slice('incident.'.length)}${rev}`,
    type: e.type,
    timestamp: e.type === 'incident.resolved' ? (i.resolvedAt ?? i.end) : i.end,
    data: i,
  };
}

export function testEvent(webhookId: string, nonce: string, at: string): TestWebhookEvent {
  return {
    id: `test_${nonce}`,
    type: 'webhook.test',
    timestamp: at,
    data: { webhookId, message: 'Tracehound test event: this webhook is reachable.' },
  };
}
