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
  const services = new Set([
    ...i.endpoints.map((e) => e.split(':')[0]),
    ...i.rootCauses.map((c) => c.service),
  ]);
  return { services, endpoints };
}

/**
 * Whether `webhook` wants `event`. Endpoints match the anomaly's own endpoint or any root cause's
 * `service:operation`. minScore applies to anomalies only: an incident's score moves while it is open, and
 * a filter that let `opened` through must not swallow its `resolved`.
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
