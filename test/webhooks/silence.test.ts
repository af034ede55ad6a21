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
  it('holds back anomalies and incidents whose first suspect, or all they affect, is silenced', () => {
    expect(silencedBy(anomaly, [silence({ service: 'frontend' })], NOW)?.id).toBe('sil_1');
    expect(silencedBy(anomaly, [silence({ service: 'payments' })], NOW)).toBeDefined();
    expect(silencedBy(anomaly, [silence({ endpoint: 'payments:Charge' })], NOW)).toBeDefined();
    expect(silencedBy(anomaly, [silence({ endpoint: 'frontend:GET /checkout' })], NOW)).toBeDefined();
    expect(silencedBy(anomaly, [silence({ service: 'shipping' })], NOW)).toBeUndefined();
    expect(silencedBy(anomaly, [silence({ endpoint: 'frontend:GET /cart' })], NOW)).toBeUndefined();
    expect(silencedBy(opened(), [silence({ service: 'payments' })], NOW)).toBeDefined();
    // Both endpoints the incident affects, silenced apart.
    const both = [silence({ endpoint: 'api:POST /orders' }), silence({ id: 'sil_2', service: 'frontend' })];
    expect(silencedBy(opened(), both, NOW)).toBeDefined();
  });

  it('still pages a fault elsewhere that lists a silenced service lower, or breaks more than was silenced', () => {
    // db is the anomaly's second suspect, cart its third: a team deploying either is not the page's subject.
    expect(silencedBy(anomaly, [silence({ service: 'db' })], NOW)).toBeUndefined();
    expect(silencedBy(anomaly, [silence({ endpoint: 'cart:Get' })], NOW)).toBeUndefined();
    expect(silencedBy(opened(), [silence({ service: 'db' })], NOW)).toBeUndefined();
    // frontend:GET /checkout is broken too, and nobody silenced it.
    expect(silencedBy(opened(), [silence({ endpoint: 'api:POST /orders' })], NOW)).toBeUndefined();
    expect(silencedBy(opened({ rootCauses: [] }), [silence({ service: 'api' })], NOW)).toBeUndefined();
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
