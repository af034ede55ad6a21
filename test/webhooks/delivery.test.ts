import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { SilenceStore } from '../../src/store/silences.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdOf, WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { anomalyEvent } from '../../src/webhooks/events.js';
import { closeWebhookAgents, postWebhook } from '../../src/webhooks/send.js';
import type { ResolveAll } from '../../src/webhooks/url-guard.js';
import { WebhookStore } from '../../src/webhooks/store.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { sampleAnomaly } from './fixtures.js';
import { Receiver, type Reply } from '../helpers/receiver.js';
import { until } from '../helpers/until.js';

let redis: TestRedis;
let conn: Redis;
let store: WebhookStore;
let dispatcher: WebhookDispatcher;
const rx = new Receiver();
let traceSeq = 0;

/**
 * A webhook that only wants anomalies of its own service, so the tests never see each other's events; one by
 * one (mode each), as these tests are about a single delivery (digests: digest.test.ts).
 */
async function hookAndEvent(path: string, script: Reply[], secret?: string) {
  const service = `svc-${path.replace(/\W/g, '')}`;
  const hook = await store.create({
    url: rx.url(path, ...script),
    services: [service],
    secret,
    events: ['anomaly.detected'],
    anomalies: { mode: 'each' },
  });
  const traceId = (++traceSeq).toString(16).padStart(32, 'a');
  const event = anomalyEvent(sampleAnomaly({ traceId, id: traceId, service }));
  return { hook, event };
}

const state = (deliveryId: string) => dispatcher.queue.getJobState(jobIdOf(deliveryId));

beforeAll(async () => {
  redis = await startRedis();
  conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  conn.on('error', () => undefined);
  store = new WebhookStore(conn, { allowPrivate: true });
  dispatcher = new WebhookDispatcher({
    connection: conn,
    store,
    silences: new SilenceStore(conn),
    allowPrivate: true,
    attempts: 4,
    backoffBaseMs: 40,
    backoffMaxMs: 150,
    timeoutMs: 2000,
  });
  dispatcher.startWorker();
  await rx.start();
});

afterAll(async () => {
  await dispatcher?.close();
  await closeWebhookAgents();
  conn?.disconnect();
  await new Promise((r) => rx.server?.close(r));
  await redis?.close();
});

describe('webhook delivery (real Redis, real HTTP receiver)', () => {
  it('refuses a private target unless allowPrivate', async () => {
    const strict = new WebhookStore(conn);
    await expect(strict.create({ url: rx.url('/x') })).rejects.toThrow(/127\.0\.0\.1 is loopback/);
  });

  it('holds back events about a silenced service until the silence ends', async () => {
    const { event } = await hookAndEvent('/silenced', [{ status: 204 }]);
    const silences = new SilenceStore(conn);
    const silence = await silences.create({ service: event.data.service, minutes: 30 });
    expect(await dispatcher.enqueue(event)).toEqual([]);
    await silences.remove(silence.id);
    const [deliveryId] = await dispatcher.enqueue(event);
    await until('completed', async () => (await state(deliveryId)) === 'completed');
    expect(rx.count('/silenced')).toBe(1);
  });

  it('retries 500, 500 and delivers once accepted, logging 3 attempts', async () => {
    const secret = 'whsec_' + Buffer.from('k3y-bytes-for-test').toString('base64');
    const { hook, event } = await hookAndEvent(
      '/flaky',
      [{ status: 500 }, { status: 500 }, { status: 204 }],
      secret,
    );
    const [deliveryId] = await dispatcher.enqueue(event);
    expect(deliveryId).toBe(`${event.id}:${hook.id}`);
    await until('completed', async () => (await state(deliveryId)) === 'completed');
    expect(rx.count('/flaky')).toBe(3);
    const hits = rx.hits.get('/flaky')!;
    expect(new Set(hits.map((h) => h.headers['webhook-id']))).toEqual(new Set([deliveryId]));
    const last = hits[2];
    const mac = createHmac('sha256', Buffer.from('k3y-bytes-for-test'))
      .update(`${last.headers['webhook-id']}.${last.headers['webhook-timestamp']}.${last.body}`)
      .digest('base64');
    expect(last.headers['webhook-signature']).toBe(`v1,${mac}`);
    expect(JSON.parse(last.body).data.rootCauses[0].service).toBe('payments');
    const log = await dispatcher.deliveryLog(hook.id);
    expect(log.map((e) => [e.attempt, e.status, e.outcome])).toEqual([
      [3, 204, 'delivered'],
      [2, 500, 'retrying'],
      [1, 500, 'retrying'],
    ]);
    expect(log.every((e) => e.deliveryId === deliveryId && e.event === 'anomaly.detected')).toBe(true);
    expect(await dispatcher.deadLetters(hook.id)).toEqual([]);
  });

  it('honours Retry-After on 429', async () => {
    const { hook, event } = await hookAndEvent('/busy', [
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 200 },
    ]);
    const [deliveryId] = await dispatcher.enqueue(event);
    await until('completed', async () => (await state(deliveryId)) === 'completed');
    const hits = rx.hits.get('/busy')!;
    expect(hits).toHaveLength(2);
    const gap = hits[1].at - hits[0].at;
    // Backoff alone would wait at most 40 ms.
    expect(gap).toBeGreaterThanOrEqual(1000);
    expect(gap).toBeLessThan(3000);
    console.log(`Retry-After: 1 -> retry after ${gap} ms`);
    expect((await dispatcher.deliveryLog(hook.id))[1].status).toBe(429);
  });

  it('disables the webhook on 410 Gone', async () => {
    const { hook, event } = await hookAndEvent('/gone', [{ status: 410 }]);
    const [deliveryId] = await dispatcher.enqueue(event);
    await until('failed', async () => (await state(deliveryId)) === 'failed');
    expect(rx.count('/gone')).toBe(1);
    const after = await store.get(hook.id);
    expect(after?.enabled).toBe(false);
    expect(after?.disabledReason).toMatch(/410 Gone/);
    expect((await dispatcher.deliveryLog(hook.id))[0].outcome).toBe('disabled');
    expect(await dispatcher.enqueue({ ...event, id: `${event.id}-again` })).toEqual([]);
  });

  it('treats 400 as permanent: one try, then the dead-letter list', async () => {
    const { hook, event } = await hookAndEvent('/bad', [{ status: 400 }]);
    const [deliveryId] = await dispatcher.enqueue(event);
    await until('failed', async () => (await state(deliveryId)) === 'failed');
    expect(rx.count('/bad')).toBe(1);
    const dead = await dispatcher.deadLetters(hook.id);
    expect(dead).toHaveLength(1);
    expect(dead[0].error).toMatch(/HTTP 400.*permanent/);
    expect(dead[0].event.id).toBe(event.id);
  });

  it('dead-letters a delivery that fails every attempt', async () => {
    const { hook, event } = await hookAndEvent('/down', [{ status: 502 }]);
    const [deliveryId] = await dispatcher.enqueue(event);
    await until('failed', async () => (await state(deliveryId)) === 'failed');
    expect(rx.count('/down')).toBe(4);
    const dead = await dispatcher.deadLetters(hook.id);
    expect(dead.map((d) => [d.deliveryId, d.attempts, d.status])).toEqual([[deliveryId, 4, 502]]);
    const log = await dispatcher.deliveryLog(hook.id);
    expect(log.map((e) => e.outcome)).toEqual(['failed', 'retrying', 'retrying', 'retrying']);
  });

  it('delivers an event enqueued twice only once', async () => {
    const { event } = await hookAndEvent('/once', [{ status: 200 }]);
    const first = await dispatcher.enqueue(event);
    const second = await dispatcher.enqueue(event);
    expect(second).toEqual(first);
    await until('completed', async () => (await state(first[0])) === 'completed');
    // Enqueued again after completion: still one delivery.
    await dispatcher.enqueue(event);
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.count('/once')).toBe(1);
  });

  it('sends a test event', async () => {
    const { hook } = await hookAndEvent('/test', [{ status: 202 }]);
    const r = await dispatcher.sendTest(hook.id);
    expect(r.ok).toBe(true);
    expect(r.status).toBe(202);
    expect(JSON.parse(rx.hits.get('/test')![0].body).type).toBe('webhook.test');
    expect((await dispatcher.deliveryLog(hook.id))[0].outcome).toBe('test');
  });

  it('re-checks the target at delivery time, also at connect (DNS rebinding)', async () => {
    const port = (rx.server.address() as AddressInfo).port;
    const direct = await postWebhook(`http://127.0.0.1:${port}/direct`, {}, '{}', {
      allowPrivate: false,
      timeoutMs: 1000,
    });
    expect(direct).toMatchObject({ status: 0, refused: true });
    expect(direct.error).toMatch(/loopback/);
    // Public for the pre-check, loopback when the socket connects.
    let calls = 0;
    const rebinding: ResolveAll = async () => [
      { address: ++calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 },
    ];
    const r = await postWebhook(`http://rebind.example.com:${port}/rebind`, {}, '{}', {
      allowPrivate: false,
      timeoutMs: 1000,
      resolve: rebinding,
    });
    expect(calls).toBe(2);
    expect(r.status).toBe(0);
    expect(r.error).toMatch(/rebind\.example\.com resolves to 127\.0\.0\.1, which is loopback/);
    expect(rx.count('/direct') + rx.count('/rebind')).toBe(0);
  });

  it('keeps a delayed delivery across a Redis crash and restart', async () => {
    const { event } = await hookAndEvent('/crash', [
      { status: 503, headers: { 'retry-after': '1' } },
      { status: 200 },
    ]);
    const [deliveryId] = await dispatcher.enqueue(event);
    await until('delayed after the first attempt', async () => (await state(deliveryId)) === 'delayed');
    expect(rx.count('/crash')).toBe(1);
    await redis.stop(true);
    await redis.restart();
    await until('completed after restart', async () => (await state(deliveryId)) === 'completed', 15_000);
    expect(rx.count('/crash')).toBe(2);
  });
});
