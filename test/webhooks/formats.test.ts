import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { anomalyEvent, incidentEvent } from '../../src/webhooks/events.js';
import { alertmanagerPayload } from '../../src/webhooks/formats/alertmanager.js';
import { buildDigest, digestItem } from '../../src/webhooks/digest.js';
import { renderPayload, renderRequest } from '../../src/webhooks/formats/index.js';
import { SLACK_DIGEST_LINES, slackDigestPayload } from '../../src/webhooks/formats/slack-digest.js';
import { jsonPayload } from '../../src/webhooks/formats/json.js';
import { pagerdutyPayload } from '../../src/webhooks/formats/pagerduty.js';
import { slackPayload } from '../../src/webhooks/formats/slack.js';
import { opened as openedEvent, resolvedEvent, sampleAnomaly, sampleIncident, updated } from './fixtures.js';

const ctx = { deliveryId: 'anomaly_x:wh_1', webhookId: 'wh_1', publicUrl: 'https://th.example.com' };
const anomaly = anomalyEvent(sampleAnomaly());
const opened = openedEvent();
const resolved = resolvedEvent();

/** Independent Standard Webhooks verification, written from the spec. */
function verify(secret: string, headers: Record<string, string>, body: string): boolean {
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice(6), 'base64')
    : Buffer.from(secret, 'utf8');
  const content = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
  const expected = createHmac('sha256', key).update(content).digest('base64');
  return headers['webhook-signature'].split(' ').some((s) => s === `v1,${expected}`);
}

describe('json format + Standard Webhooks signature', () => {
  it('sends the envelope with the anomaly, its root causes and spans', () => {
    const p = jsonPayload(anomaly);
    expect(p).toEqual({
      id: 'anomaly_4bf92f3577b34da6a3ce929d0e0e4736',
      type: 'anomaly.detected',
      timestamp: '2025-03-04T10:00:05.000Z',
      data: sampleAnomaly(),
    });
  });

  it('signs with a whsec_ secret (base64 key)', () => {
    const keyBytes = randomBytes(24);
    const secret = `whsec_${keyBytes.toString('base64')}`;
    const req = renderRequest('json', anomaly, { ...ctx, secret }, 1_741_082_405);
    expect(req.headers['webhook-id']).toBe('anomaly_x:wh_1');
    expect(req.headers['webhook-timestamp']).toBe('1741082405');
    expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(secret, req.headers, req.body)).toBe(true);
    // The key is the decoded bytes, not the secret string.
    const wrong = createHmac('sha256', secret)
      .update(`anomaly_x:wh_1.1741082405.${req.body}`)
      .digest('base64');
    expect(req.headers['webhook-signature']).not.toBe(`v1,${wrong}`);
    expect(verify(secret, req.headers, req.body.replace('0.93', '0.94'))).toBe(false);
    expect(JSON.parse(req.body).data.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('signs with a plain secret (raw UTF-8 bytes)', () => {
    const secret = 'correct horse battery staple ✓';
    const req = renderRequest('json', anomaly, { ...ctx, secret }, 1_700_000_000);
    expect(verify(secret, req.headers, req.body)).toBe(true);
    expect(verify('other', req.headers, req.body)).toBe(false);
  });

  it('sends no signature without a secret, and none for pagerduty (the secret is a routing key)', () => {
    expect(renderRequest('json', anomaly, ctx, 1).headers['webhook-signature']).toBeUndefined();
    const pd = renderRequest('pagerduty', anomaly, { ...ctx, secret: 'R0UT1NGKEY' }, 1);
    expect(pd.headers['webhook-signature']).toBeUndefined();
    expect(pd.headers['webhook-id']).toBe('anomaly_x:wh_1');
  });
});

describe('alertmanager format', () => {
  it('fires an anomaly as a version 4 payload', () => {
    const p = alertmanagerPayload(anomaly, ctx);
    expect(p.version).toBe('4');
    expect(p.status).toBe('firing');
    expect(p.receiver).toBe('tracehound-wh_1');
    expect(p.externalURL).toBe('https://th.example.com');
    expect(p.groupLabels).toEqual({ alertname: 'TracehoundAnomaly' });
    expect(p.groupKey).toBe('{}:{alertname="TracehoundAnomaly"}');
    expect(p.alerts).toHaveLength(1);
    const a = p.alerts[0];
    expect(a.status).toBe('firing');
    expect(a.labels).toEqual({
      alertname: 'TracehoundAnomaly',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      severity: 'critical',
      service: 'frontend',
      operation: 'GET /checkout',
      root_cause: 'payments:Charge',
    });
    expect(a.annotations.score).toBe('0.930');
    expect(a.annotations.duration_ms).toBe('1843.5');
    expect(a.annotations.description.split('\n')).toEqual([
      'payments:Charge latency (0.71): self time 1520 ms vs p99 80 ms',
      'db error (0.12): 3 error spans',
      'cart:Get latency (0.05): slightly slow',
    ]);
    expect(a.startsAt).toBe('2025-03-04T10:00:00.000Z');
    expect(a.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(a.generatorURL).toBe('https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736');
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(p.commonLabels).toEqual(a.labels);
  });

  it('fires and resolves an incident with the same labels and fingerprint', () => {
    const f = alertmanagerPayload(opened, ctx);
    const u = alertmanagerPayload(updated({ rootCauses: [{ service: 'db', score: 1, evidence: 'x' }] }), ctx);
    const r = alertmanagerPayload(resolved, ctx);
    expect([f.status, u.status, r.status]).toEqual(['firing', 'firing', 'resolved']);
    expect(r.alerts[0].status).toBe('resolved');
    expect(f.alerts[0].endsAt).toBe('0001-01-01T00:00:00Z');
    expect(r.alerts[0].startsAt).toBe('2025-03-04T10:00:00.000Z');
    expect(r.alerts[0].endsAt).toBe('2025-03-04T10:30:00.000Z');
    expect(f.alerts[0].labels).toEqual({
      alertname: 'TracehoundIncident',
      incident_id: 'inc-17',
      severity: 'critical',
    });
    // The suspect moved to db in the update: labels and fingerprint did not.
    expect(u.alerts[0].labels).toEqual(f.alerts[0].labels);
    expect(r.alerts[0].labels).toEqual(f.alerts[0].labels);
    expect(u.alerts[0].fingerprint).toBe(f.alerts[0].fingerprint);
    expect(r.alerts[0].fingerprint).toBe(f.alerts[0].fingerprint);
    expect(f.alerts[0].annotations.root_cause).toBe('payments:Charge');
    expect(u.alerts[0].annotations.root_cause).toBe('db');
    expect(f.alerts[0].annotations.summary).toBe(
      'Incident inc-17: likely payments:Charge; latency-shift on 2 endpoints',
    );
    expect(f.alerts[0].annotations.trace_count).toBe('57');
    expect(f.alerts[0].annotations.link).toBe('https://th.example.com/v1/incidents/inc-17');
    const other = alertmanagerPayload(openedEvent({ id: 'inc-18' }), ctx);
    expect(other.alerts[0].fingerprint).not.toBe(f.alerts[0].fingerprint);
  });
});

describe('incident events', () => {
  it('names opened and resolved once per incident and updates by revision', () => {
    expect(opened.id).toBe('incident_inc-17_opened');
    expect(updated().id).toBe('incident_inc-17_updated_r3');
    expect(updated({ revision: 4 }).id).toBe('incident_inc-17_updated_r4');
    expect(resolved.id).toBe('incident_inc-17_resolved');
    expect(opened.timestamp).toBe('2025-03-04T10:05:00.000Z');
    expect(resolved.timestamp).toBe('2025-03-04T10:35:00.000Z');
    expect(jsonPayload(resolved)).toEqual({
      id: 'incident_inc-17_resolved',
      type: 'incident.resolved',
      timestamp: '2025-03-04T10:35:00.000Z',
      data: resolved.data,
    });
    expect(resolved.data.status).toBe('resolved');
  });
});

describe('pagerduty format', () => {
  const pctx = { ...ctx, secret: 'R0UT1NGKEY0123456789012345678901' };

  it('triggers an anomaly deduplicated by trace id', () => {
    const p = pagerdutyPayload(anomaly, pctx);
    expect(p.routing_key).toBe('R0UT1NGKEY0123456789012345678901');
    expect(p.event_action).toBe('trigger');
    expect(p.dedup_key).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(p.payload?.severity).toBe('critical');
    expect(p.payload?.source).toBe('frontend');
    expect(p.payload?.component).toBe('payments');
    expect(p.payload?.class).toBe('latency');
    expect(p.payload?.timestamp).toBe('2025-03-04T10:00:05.000Z');
    expect(p.payload?.summary).toBe(
      'Anomalous trace on frontend:GET /checkout: score 0.93 (likely payments:Charge)',
    );
    const d = p.payload?.custom_details as Record<string, unknown>;
    expect(d.duration_ms).toBe(1843.5);
    expect(d.span_count).toBe(42);
    expect((d.root_causes as { where: string }[]).map((c) => c.where)).toEqual([
      'payments:Charge',
      'db',
      'cart:Get',
    ]);
    expect(p.links).toEqual([
      { href: 'https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736', text: 'Trace' },
    ]);
  });

  it('pages an incident once and resolves the same dedup_key', () => {
    const o = pagerdutyPayload(opened, pctx);
    const u = pagerdutyPayload(updated(), pctx);
    const r = pagerdutyPayload(resolved, pctx);
    expect(o.event_action).toBe('trigger');
    expect(u.event_action).toBe('trigger');
    expect(r).toEqual({
      routing_key: pctx.secret,
      event_action: 'resolve',
      dedup_key: 'tracehound-incident-inc-17',
    });
    expect(o.dedup_key).toBe(r.dedup_key);
    expect(u.dedup_key).toBe(r.dedup_key);
    // A strong latency shift on two endpoints, no failures: an error, not a constant 'critical'.
    expect(o.payload?.severity).toBe('error');
    expect(o.payload?.component).toBe('payments');
    expect(o.payload?.class).toBe('incident');
    const d = o.payload?.custom_details as Record<string, unknown>;
    expect(d.trace_count).toBe(57);
    expect(d.signals).toEqual([
      'latency-shift on frontend:GET /checkout: p90 latency 1840 ms against a usual 310 ms',
    ]);
  });

  it('refuses to render without a routing key', () => {
    expect(() => pagerdutyPayload(anomaly, ctx)).toThrow(/routing key/);
  });
});

describe('slack format', () => {
  it('renders header, fields, root causes, a button and a text fallback', () => {
    const m = slackPayload(anomaly, ctx);
    expect(m.text).toContain('Anomalous trace on frontend:GET /checkout: score 0.93');
    expect(m.text).toContain('payments:Charge latency (0.71)');
    // Slack blocks are loosely typed JSON; read them as such.
    const [header, section, causes, actions] = m.blocks as {
      text: { text: string };
      fields: { text: string }[];
      elements: { url: string }[];
    }[];
    expect(header).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: 'Anomalous trace on frontend:GET /checkout: score 0.93 (likely payments:Charge)',
        emoji: true,
      },
    });
    const fieldTexts = (section.fields as { text: string }[]).map((f) => f.text);
    expect(fieldTexts).toContain('*Endpoint*\nfrontend:GET /checkout');
    expect(fieldTexts).toContain('*Score*\n0.93 (critical)');
    expect(fieldTexts).toContain('*Duration*\n1843.5 ms');
    expect(fieldTexts).toContain('*Trace*\n4bf92f3577b34da6a3ce929d0e0e4736');
    expect(causes.text.text).toContain('1. payments:Charge latency (0.71): self time 1520 ms vs p99 80 ms');
    expect(causes.text.text).not.toContain('auth');
    expect(actions.elements[0].url).toBe('https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('escapes mrkdwn control characters and omits the button without a link', () => {
    const a = sampleAnomaly({ link: undefined, operation: 'GET <admin> & co' });
    const m = slackPayload(anomalyEvent(a), { deliveryId: 'd', webhookId: 'w' });
    expect(JSON.stringify(m.blocks)).toContain('GET &lt;admin&gt; &amp; co');
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('renders a resolved incident', () => {
    const m = slackPayload(resolved, ctx);
    expect(m.text).toMatch(/^:white_check_mark: Resolved inc-17: likely payments:Charge; latency-shift/);
    const fields = (m.blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toContain('*Traces (57)*\n4bf92f3577b34da6a3ce929d0e0e4736');
    expect(fields).toContain('*Resolved*\n2025-03-04T10:30:00.000Z');
  });
});

describe('incident.acknowledged', () => {
  const acked = incidentEvent({
    type: 'incident.acknowledged',
    incident: sampleIncident({
      acknowledgedAt: '2025-03-04T10:12:00.000Z',
      acknowledgedBy: 'alice',
      acknowledgeNote: 'rolling back',
      revision: 5,
    }),
  });
  const ctx = { deliveryId: 'd', webhookId: 'w', secret: 'R0UTING' };

  it('is one event per incident, at the time it was acknowledged', () => {
    expect(acked.id).toBe('incident_inc-17_acknowledged');
    expect(acked.timestamp).toBe('2025-03-04T10:12:00.000Z');
    expect(jsonPayload(acked)).toMatchObject({
      type: 'incident.acknowledged',
      data: { acknowledgedBy: 'alice' },
    });
  });

  it('acknowledges the PagerDuty page the incident opened', () => {
    expect(pagerdutyPayload(acked, ctx)).toEqual({
      routing_key: 'R0UTING',
      event_action: 'acknowledge',
      dedup_key: 'tracehound-incident-inc-17',
    });
  });

  it('keeps the Alertmanager alert firing with the same labels, saying who took it', () => {
    const before = alertmanagerPayload(openedEvent(), ctx);
    const p = alertmanagerPayload(acked, ctx);
    expect(p.status).toBe('firing');
    expect(p.alerts[0].labels).toEqual(before.alerts[0].labels);
    expect(p.alerts[0].fingerprint).toBe(before.alerts[0].fingerprint);
    expect(p.alerts[0].annotations.acknowledged_by).toBe('alice');
  });

  it('tells Slack who acknowledged, and a manual resolve by whom', () => {
    const m = slackPayload(acked, ctx);
    expect(m.text).toMatch(/^:eyes: Acknowledged inc-17: likely payments:Charge/);
    const fields = (m.blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toContain('*Acknowledged by*\nalice');
    const r = slackPayload(resolvedEvent({ resolvedBy: 'manual', resolvedByName: 'bob' }), ctx);
    expect(r.text).toMatch(/^:white_check_mark: Resolved inc-17 by bob: /);
  });
});

describe('anomaly digests', () => {
  const items = Array.from({ length: 10 }, (_, i) =>
    digestItem({
      ...sampleAnomaly({ traceId: `${i}`.padStart(32, 'c'), id: `${i}`.padStart(32, 'c') }),
      operation: `GET /p${i}`,
      score: 0.99 - i / 100,
    }),
  );
  const digest = buildDigest('wh_1', Date.UTC(2025, 2, 4, 10, 1), { count: 500, sentSingly: 0, top: items });

  it('json carries the minute, the count and all ten', () => {
    const p = renderPayload('json', digest, ctx) as typeof digest;
    expect(p.id).toBe('digest_wh_1_20250304T1001');
    expect(p.type).toBe('anomaly.digest');
    expect(p.data.count).toBe(500);
    expect(p.data.top).toHaveLength(10);
    expect(p.data.top[0]).toEqual({
      id: 'c'.repeat(31) + '0',
      traceId: 'c'.repeat(31) + '0',
      endpoint: 'frontend:GET /p0',
      service: 'frontend',
      operation: 'GET /p0',
      score: 0.99,
      durationMs: 1843.5,
      detectedAt: '2025-03-04T10:00:05.000Z',
      link: 'https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736',
      rootCause: {
        where: 'payments:Charge',
        kind: 'latency',
        contribution: 0.71,
        evidence: 'self time 1520 ms vs p99 80 ms',
      },
    });
  });

  it('slack is one message: the count, the top five with their likely cause, how many more', () => {
    const m = slackDigestPayload(digest, ctx);
    expect(m.text).toBe(
      ':mag: 500 anomalous traces, 10:01–10:02 UTC. Top: frontend:GET /p0 0.99 (likely payments:Charge).',
    );
    expect(m.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '500 anomalous traces, 10:01–10:02 UTC', emoji: true },
    });
    const list = (m.blocks[1] as { text: { text: string } }).text.text.split('\n');
    expect(list).toHaveLength(SLACK_DIGEST_LINES);
    expect(list[0]).toBe(
      '1. *<https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736|frontend:GET /p0>* 0.99 (critical)' +
        ' — likely payments:Charge: self time 1520 ms vs p99 80 ms',
    );
    expect(list[4]).toMatch(/^5\. \*<[^|]+\|frontend:GET \/p4>\* 0\.95 \(critical\)/);
    expect(m.blocks[2]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '…and 495 more' }] });
    expect(m.blocks[3]).toMatchObject({ type: 'actions', elements: [{ url: 'https://th.example.com' }] });
  });

  it('slack says how many went out singly, and escapes what Slack would read as markup', () => {
    const odd = { ...items[0], endpoint: 'api:GET /<x>&y', link: undefined };
    const m = slackDigestPayload(
      buildDigest('wh_1', Date.UTC(2025, 2, 4, 10, 1), { count: 12, sentSingly: 10, top: [odd, items[1]] }),
      { ...ctx, publicUrl: undefined },
    );
    expect((m.blocks[0] as { text: { text: string } }).text.text).toBe(
      '2 more anomalous traces, 10:01–10:02 UTC (12 in all)',
    );
    expect(m.blocks[1]).toMatchObject({ type: 'context', elements: [{ text: /10 were sent one by one/ }] });
    expect((m.blocks[2] as { text: { text: string } }).text.text).toMatch(
      /^1\. \*api:GET \/&lt;x&gt;&amp;y\* /,
    );
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(m.blocks).toHaveLength(3);
  });

  it('is refused by the paging formats, which are sent no anomalies', () => {
    expect(() => renderPayload('alertmanager', digest, ctx)).toThrow(/does not carry anomaly digests/);
    expect(() => renderPayload('pagerduty', digest, { ...ctx, secret: 'R0UT' })).toThrow(/digests/);
  });
});
