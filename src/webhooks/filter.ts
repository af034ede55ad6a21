import type { WebhookEvent } from './events.js';
import { ANOMALY_FORMATS, type Webhook } from './schema.js';
import { INCIDENT_EVENT_TYPES } from '../incidents/incident.js';
import { endpointKey, serviceOfEndpointKey } from '../trace/endpoint-key.js';

/**
 * What a webhook without an `events` list gets: incidents, which is what alerting systems page on.
 * Per-trace `anomaly.detected` events come by the hundred a minute during an outage; they are opt-in.
 */
export const DEFAULT_EVENTS: readonly string[] = INCIDENT_EVENT_TYPES;

/** Anomalies go to the formats that carry them only (a stored webhook may predate that rule; see schema.ts). */
const subscribed = (webhook: Webhook, type: string) =>
  (webhook.events ?? DEFAULT_EVENTS).includes(type) &&
  (type !== 'anomaly.detected' || ANOMALY_FORMATS.includes(webhook.format));

/** The services and endpoints an event concerns (filters and silences match against them). */
export function facts(event: WebhookEvent): {
  services: Set<string>;
  endpoints: Set<string>;
  score?: number;
} {
  if (event.type === 'anomaly.detected') {
    const a = event.data;
    const services = new Set([a.service, ...a.rootCauses.map((c) => c.service)]);
    const endpoints = new Set<string>([endpointKey(a.service, a.operation)]);
    for (const c of a.rootCauses) if (c.operation) endpoints.add(endpointKey(c.service, c.operation));
    return { services, endpoints, score: a.score };
  }
  if (event.type === 'webhook.test') return { services: new Set(), endpoints: new Set() };
  const i = event.data;
  const endpoints = new Set(i.endpoints);
  for (const c of i.rootCauses) if (c.operation) endpoints.add(endpointKey(c.service, c.operation));
  const services = new Set([...i.endpoints.map(serviceOfEndpointKey), ...i.rootCauses.map((c) => c.service)]);
  return { services, endpoints };
}

/**
 * Whether `webhook` wants `event`. Endpoints match the anomaly's own endpoint or any root cause's
 * `service:operation`. minScore applies to anomalies only: an incident's root-cause scores are shares among
 * its suspects, not a severity, and they move while it is open. An incident's services and endpoints are
 * those of its affected endpoints and of its root causes at the time of the event; once a webhook has been
 * told about an incident it follows it to the end (webhookFollows), so a resolve never goes missing.
 */
export function webhookMatches(webhook: Webhook, event: WebhookEvent): boolean {
  if (!webhook.enabled) return false;
  if (event.type === 'webhook.test') return event.data.webhookId === webhook.id;
  if (!subscribed(webhook, event.type)) return false;
  const f = facts(event);
  if (webhook.minScore !== undefined && f.score !== undefined && f.score < webhook.minScore) return false;
  if (webhook.services && !webhook.services.some((s) => f.services.has(s))) return false;
  if (webhook.endpoints && !webhook.endpoints.some((e) => f.endpoints.has(e))) return false;
  return true;
}

/**
 * Whether a webhook that was already sent an event of an incident gets this later one: only its event
 * subscription counts, not its service or endpoint filters, which the incident's moving root causes could
 * stop matching halfway.
 */
export function webhookFollows(webhook: Webhook, event: WebhookEvent): boolean {
  if (!webhook.enabled || event.type === 'webhook.test' || event.type === 'anomaly.detected') return false;
  return subscribed(webhook, event.type);
}
