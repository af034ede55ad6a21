import type { Incident, IncidentEvent, IncidentEventType } from '../incidents/incident.js';
import type { Anomaly } from '../store/anomaly-record.js';

/**
 * The events a webhook receives. `webhook.test` is only sent on request and passes every filter;
 * `anomaly.digest` is how a webhook subscribed to `anomaly.detected` gets the anomalies of a minute together
 * (see digest.ts), so it is not subscribed to by name.
 */
export const WEBHOOK_EVENT_TYPES = [
  'anomaly.detected',
  'anomaly.digest',
  'incident.opened',
  'incident.updated',
  'incident.acknowledged',
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

/** One anomaly of a digest: enough to triage it from the message, with a link to the rest. */
export interface DigestItem {
  id: string;
  traceId: string;
  /** `service:operation` of the anomalous trace. */
  endpoint: string;
  service: string;
  operation: string;
  score: number;
  surprise?: number;
  durationMs: number;
  detectedAt: string;
  link?: string;
  /** The largest root cause, with its evidence sentence. */
  rootCause?: { where: string; kind: string; contribution: number; evidence: string };
}

/** The anomalies one webhook got in one minute, beyond those it was sent one by one. */
export interface AnomalyDigest {
  webhookId: string;
  /** ISO start of the minute (UTC); the digest covers [minute, minute + 60 s). */
  minute: string;
  /** Every anomaly this webhook got in the minute (after its filters and the silences). */
  count: number;
  /** Of them, how many went out singly as `anomaly.detected` (mode `each`); the rest are summarized here. */
  sentSingly: number;
  /** The top of the rest by rank (scoring/rank.ts: surprise, then errors, then added latency), at most 10. */
  top: DigestItem[];
}

export type AnomalyWebhookEvent = Envelope<'anomaly.detected', Anomaly>;
export type AnomalyDigestWebhookEvent = Envelope<'anomaly.digest', AnomalyDigest>;
export type IncidentWebhookEvent = Envelope<IncidentEventType, Incident>;
export type TestWebhookEvent = Envelope<'webhook.test', WebhookTestData>;
/** What happens in the service and is matched against webhooks one event at a time. */
export type WebhookEvent = AnomalyWebhookEvent | IncidentWebhookEvent | TestWebhookEvent;
/** What a webhook is sent: the events themselves, or a digest built per webhook. */
export type DeliveredEvent = WebhookEvent | AnomalyDigestWebhookEvent;

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
 * One webhook event per incident event, carrying the incident record itself. Opened, acknowledged and
 * resolved happen once per incident; an update is named by the incident's revision, so a replayed minute sends nothing new
 * and a receiver can order updates. The timestamp is the incident's own time (the minute that caused the
 * event), so the same event always renders the same.
 */
export function incidentEvent(e: IncidentEvent): IncidentWebhookEvent {
  const i = e.incident;
  const rev = e.type === 'incident.updated' ? `_r${i.revision}` : '';
  return {
    id: `incident_${i.id}_${e.type.slice('incident.'.length)}${rev}`,
    type: e.type,
    timestamp:
      e.type === 'incident.resolved'
        ? (i.resolvedAt ?? i.end)
        : e.type === 'incident.acknowledged'
          ? (i.acknowledgedAt ?? i.end)
          : i.end,
    data: i,
  };
}

/** The incident an event id of incidentEvent's names, or undefined for any other event (anomaly, digest, test). */
export function incidentOfEventId(eventId: string): string | undefined {
  return /^incident_(.+)_(?:opened|acknowledged|resolved|updated_r\d+)$/.exec(eventId)?.[1];
}

export function testEvent(webhookId: string, nonce: string, at: string): TestWebhookEvent {
  return {
    id: `test_${nonce}`,
    type: 'webhook.test',
    timestamp: at,
    data: { webhookId, message: 'Tracehound test event: this webhook is reachable.' },
  };
}

/** A digest's id names its webhook and minute, so a retried or repeated job can only ever send the same one. */
export function digestEventId(webhookId: string, minuteMs: number): string {
  const minute = new Date(minuteMs).toISOString().replace(/[-:]/g, '').slice(0, 13);
  return `digest_${webhookId}_${minute}`;
}

export function digestEvent(digest: AnomalyDigest): AnomalyDigestWebhookEvent {
  return {
    id: digestEventId(digest.webhookId, Date.parse(digest.minute)),
    type: 'anomaly.digest',
    timestamp: digest.minute,
    data: digest,
  };
}
