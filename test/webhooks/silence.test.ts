import { describe, expect, it } from 'vitest';
import { anomalyEvent, type WebhookEvent } from '../../src/webhooks/events.js';
import { CreateSilenceSchema, silencedBy, type Silence } from '../../src/webhooks/silence.js';
import { opened, resolvedEvent, sampleAnomaly } from './fixtures.js';

const NOW = Date.parse('2025-03-04T10:00:00Z');
const silence = (over: Partial<Silence>): Silence => ({
  id: 'sil_1',
  createdAt: new Date(NOW - 60_000).toISOString(),
  until: new Date(NOW + 60_000).toISOString(),
  ...over,
});

describe('silencedBy', () => {
  const anomaly = anomalyEvent(sampleAnomaly());
  it('holds back anomalies and incidents naming the service or endpoint, as itself or as a root cause', () => {
    expect(silencedBy(anomaly, [silence({ service: 'frontend' })], NOW)?.id).toBe('sil_1');
    expect(silencedBy(anomaly, [silence({ service: 'payments' })], NOW)).toBeDefined();
    expect(silencedBy(anomaly, [silence({ endpoint: 'payments:Charge' })], NOW)).toBeDefined();
    expect(silencedBy(anomaly, [silence({ service: 'shipping' })], NOW)).toBeUndefined();
    expect(silencedBy(anomaly, [silence({ endpoint: 'frontend:GET /cart' })], NOW)).toBeUndefined();
    expect(silencedBy(opened(), [silence({ endpoint: 'api:POST /orders' })], NOW)).toBeDefined();
  });

  it('lets a resolve, a test and anything after the silence ended through', () => {
    expect(silencedBy(resolvedEvent(), [silence({ service: 'payments' })], NOW)).toBeUndefined();
    const test: WebhookEvent = {
      id: 't',
      type: 'webhook.test',
      timestamp: new Date(NOW).toISOString(),
      data: { webhookId: 'wh_1', message: 'hi' },
    };
    expect(silencedBy(test, [silence({ service: 'payments' })], NOW)).toBeUndefined();
    expect(silencedBy(anomaly, [silence({ service: 'frontend' })], NOW + 60_000)).toBeUndefined();
  });

  it('wants exactly one of service or endpoint, and a bounded duration', () => {
    const msg = (v: unknown) => CreateSilenceSchema.safeParse(v).error?.issues.map((i) => i.message);
    expect(msg({ service: 'a', endpoint: 'a:b', minutes: 5 })).toEqual([
      'give exactly one of service or endpoint',
    ]);
    expect(msg({ minutes: 5 })).toEqual(['give exactly one of service or endpoint']);
    expect(msg({ endpoint: 'nocolon', minutes: 5 })).toEqual(['expected service:operation']);
    expect(msg({ service: 'a', minutes: 0 })?.[0]).toMatch(/>=1/);
    expect(CreateSilenceSchema.parse({ service: 'a', minutes: 60 })).toEqual({ service: 'a', minutes: 60 });
  });
});
