import type { WebhookEvent } from './events.js';
import type { Webhook } from './schema.js';

function facts(event: WebhookEvent): { services: Set<string>; endpoints: Set<string>; score?: number } {
  if (event.type === 'anomaly.detected') {
    const a = event.data;
    const services = new Set([a.service, ...a.rootCauses.map((c) => c.service)]);
    const endpoints = new Set([`${a.service}:${a.operation}`]);
    for (const c of a.rootCauses) if (c.operation) endpoints.add(`${c.service}:${c.operation}`);
    return { services, endpoints, score: a.score };
  }
  if (event.type === 'webhook.test') return { services: new Set(), endpoints: new Set() };
  const i = event.data;
  const endpoints = new Set(i.endpoints);
  for (const c of i.rootCauses) if (c.operation) endpoints.add(`${c.service}:${c.operation}`);
  const services = new Set([...i.endpoints.map(serviceOf), ...i.rootCauses.map((c) => c.service)]);
  return { services, endpoints };
}

const serviceOf = (endpoint: string) => {
  const at = endpoint.indexOf(':');
  return at < 0 ? endpoint : endpoint.slice(0, at);
};

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
  if (webhook.events && !webhook.events.includes(event.type)) return false;
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
  return !webhook.events || webhook.events.includes(event.type);
}
