import { describe, expect, it } from 'vitest';
import { DeliveryRetryError, jitteredBackoff } from '../../src/webhooks/backoff.js';
import { anomalyEvent, testEvent } from '../../src/webhooks/events.js';
import { webhookFollows, webhookMatches } from '../../src/webhooks/filter.js';
import {
  CreateWebhookSchema,
  WebhookSchema,
  anomalyDelivery,
  redactWebhook,
  type Webhook,
} from '../../src/webhooks/schema.js';
import { parseRetryAfter } from '../../src/webhooks/send.js';
import { opened, resolvedEvent, sampleAnomaly } from './fixtures.js';

const base: Webhook = WebhookSchema.parse({
  id: 'wh_1',
  url: 'https://hooks.example.com/x',
  enabled: true,
  createdAt: '2025-01-01T00:00:00.000Z',
});

describe('CreateWebhookSchema', () => {
  it('defaults the format to json', () => {
    expect(CreateWebhookSchema.parse({ url: 'https://a.example.com/h' }).format).toBe('json');
  });

  it.each([
    [{ url: 'ftp://a.example.com' }, /http or https/],
    [{ url: 'https://a.example.com', format: 'teams' }, /format/],
    [{ url: 'https://a.example.com', minScore: 1.5 }, /minScore/],
    [{ url: 'https://a.example.com', events: ['webhook.test'] }, /events/],
    [{ url: 'https://a.example.com', endpoints: ['frontend'] }, /service:operation/],
    [{ url: 'https://a.example.com', format: 'pagerduty' }, /routing key/],
    [{ url: 'https://a.example.com', enabled: false }, /enabled|Unrecognized/],
    [
      { url: 'https://a.example.com', format: 'alertmanager', events: ['anomaly.detected'] },
      /json and slack webhooks only: alertmanager and pagerduty would page once per trace/,
    ],
    [
      { url: 'https://a.example.com', format: 'pagerduty', secret: 'R0UT', events: ['anomaly.detected'] },
      /json and slack webhooks only/,
    ],
    [{ url: 'https://a.example.com', anomalies: { mode: 'each' } }, /need \\"anomaly.detected\\" in events/],
    [
      { url: 'https://a.example.com', events: ['anomaly.detected'], anomalies: { maxPerMinute: 5 } },
      /maxPerMinute applies to mode \\"each\\" only/,
    ],
    [
      {
        url: 'https://a.example.com',
        events: ['anomaly.detected'],
        anomalies: { mode: 'each', maxPerMinute: 0 },
      },
      /maxPerMinute/,
    ],
    [{ url: 'https://a.example.com', events: ['anomaly.digest'] }, /events/],
  ])('rejects %j', (body, why) => {
    const r = CreateWebhookSchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(why);
  });

  it('sends anomalies as a digest unless asked for each, capped at 10 a minute by default', () => {
    const body = (anomalies?: unknown) =>
      CreateWebhookSchema.parse({ url: 'https://a.example.com', events: ['anomaly.detected'], anomalies });
    expect(anomalyDelivery(body())).toEqual({ mode: 'digest', maxPerMinute: 0 });
    expect(anomalyDelivery(body({}))).toEqual({ mode: 'digest', maxPerMinute: 0 });
    expect(anomalyDelivery(body({ mode: 'each' }))).toEqual({ mode: 'each', maxPerMinute: 10 });
    expect(anomalyDelivery(body({ mode: 'each', maxPerMinute: 3 }))).toEqual({
      mode: 'each',
      maxPerMinute: 3,
    });
    expect(CreateWebhookSchema.parse({ url: 'https://a.example.com', format: 'alertmanager' }).format).toBe(
      'alertmanager',
    );
  });

  it('redacts the secret for display', () => {
    const w = { ...base, secret: 'whsec_abcdefghijklmnop' };
    expect(redactWebhook(w).secret).toBe('whsec_…');
    expect(redactWebhook(w).secret).not.toContain('abcdefghijklmnop');
  });
});

describe('webhookMatches', () => {
  const ev = anomalyEvent(sampleAnomaly());
  // Anomalies are opt-in: the filters below are tested on a webhook that asked for them.
  const anomalies = { ...base, events: ['anomaly.detected' as const] };
  it('matches incidents by default, anomalies only when asked, nothing when disabled', () => {
    expect(webhookMatches(base, opened())).toBe(true);
    expect(webhookMatches(base, resolvedEvent())).toBe(true);
    expect(webhookMatches(base, ev)).toBe(false);
    expect(webhookMatches(anomalies, ev)).toBe(true);
    expect(webhookMatches({ ...anomalies, enabled: false }, ev)).toBe(false);
  });
  it('sends no anomalies to a stored alertmanager or pagerduty webhook from before the rule', () => {
    const am = WebhookSchema.parse({ ...anomalies, format: 'alertmanager' });
    expect(webhookMatches(am, ev)).toBe(false);
    expect(webhookMatches({ ...am, events: ['anomaly.detected', 'incident.opened'] }, opened())).toBe(true);
    expect(webhookMatches({ ...anomalies, format: 'slack' }, ev)).toBe(true);
  });
  it('filters by event type', () => {
    expect(webhookMatches({ ...base, events: ['incident.opened'] }, ev)).toBe(false);
    expect(webhookMatches({ ...base, events: ['anomaly.detected'] }, ev)).toBe(true);
  });
  it('filters anomalies by minScore (0.93)', () => {
    expect(webhookMatches({ ...anomalies, minScore: 0.95 }, ev)).toBe(false);
    expect(webhookMatches({ ...anomalies, minScore: 0.9 }, ev)).toBe(true);
  });
  it('matches the anomaly service or any root-cause service', () => {
    expect(webhookMatches({ ...anomalies, services: ['frontend'] }, ev)).toBe(true);
    expect(webhookMatches({ ...anomalies, services: ['db'] }, ev)).toBe(true);
    expect(webhookMatches({ ...anomalies, services: ['search'] }, ev)).toBe(false);
  });
  it('matches endpoints', () => {
    expect(webhookMatches({ ...anomalies, endpoints: ['frontend:GET /checkout'] }, ev)).toBe(true);
    expect(webhookMatches({ ...anomalies, endpoints: ['payments:Charge'] }, ev)).toBe(true);
    expect(webhookMatches({ ...anomalies, endpoints: ['frontend:GET /home'] }, ev)).toBe(false);
  });
  it('applies service/endpoint filters to incidents but not minScore', () => {
    const inc = resolvedEvent();
    expect(webhookMatches({ ...base, minScore: 0.99 }, inc)).toBe(true);
    expect(webhookMatches({ ...base, services: ['api'] }, inc)).toBe(true);
    expect(webhookMatches({ ...base, services: ['search'] }, inc)).toBe(false);
    expect(webhookMatches({ ...base, endpoints: ['api:POST /orders'] }, inc)).toBe(true);
  });
  it('lets a webhook that was told about an incident follow it whatever its root causes become', () => {
    const moved = resolvedEvent({ rootCauses: [{ service: 'db', score: 1, evidence: 'x' }], endpoints: [] });
    const payments = { ...base, services: ['payments'] };
    expect(webhookMatches(payments, opened())).toBe(true);
    expect(webhookMatches(payments, moved)).toBe(false);
    expect(webhookFollows(payments, moved)).toBe(true);
    // Its event subscription still counts, and anomalies are never followed.
    expect(webhookFollows({ ...payments, events: ['incident.opened'] }, moved)).toBe(false);
    expect(webhookFollows({ ...payments, enabled: false }, moved)).toBe(false);
    expect(webhookFollows(payments, ev)).toBe(false);
  });
  it('sends a test event only to its webhook', () => {
    expect(webhookMatches({ ...base, events: ['incident.opened'] }, testEvent('wh_1', 'n', 'x'))).toBe(true);
    expect(webhookMatches(base, testEvent('wh_2', 'n', 'x'))).toBe(false);
  });
});

describe('backoff and Retry-After', () => {
  it('jitter stays in the upper half of the exponential cap', () => {
    const b = jitteredBackoff({ baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 9].map((n) => b(n))).toEqual([99, 199, 399, 799, 999, 999]);
    const zero = jitteredBackoff({ baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000, random: () => 0 });
    expect([1, 4, 9].map((n) => zero(n))).toEqual([50, 400, 500]);
  });
  it('spreads the retries over at least half the nominal schedule, whatever the draws', () => {
    // With no floor, unlucky draws could spend every try within a second of the first failure.
    const unlucky = jitteredBackoff({ baseMs: 1000, maxMs: 900_000, maxRetryAfterMs: 5000, random: () => 0 });
    let span = 0;
    for (let n = 1; n < 18; n++) span += unlucky(n);
    expect(span).toBeGreaterThanOrEqual(3600_000);
  });
  it('never retries sooner than Retry-After, capped', () => {
    const b = jitteredBackoff({ baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000, random: () => 0.5 });
    expect(b(1, 'webhook', new DeliveryRetryError('x', 3000))).toBe(3000);
    expect(b(1, 'webhook', new DeliveryRetryError('x', 60_000))).toBe(5000);
    expect(b(1, 'webhook', new Error('plain'))).toBe(75);
  });
  it('parses seconds and HTTP dates', () => {
    const now = Date.parse('2025-03-04T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 04 Mar 2025 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 04 Mar 2025 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
