import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byRank } from '../../src/scoring/rank.js';
import type { Anomaly } from '../../src/store/anomaly-record.js';
import { SilenceStore } from '../../src/store/silences.js';
import { DigestStore } from '../../src/webhooks/digest-store.js';
import { jobIdOf, WebhookDispatcher, type WebhookDispatcherOptions } from '../../src/webhooks/dispatcher.js';
import { anomalyEvent, type AnomalyDigest } from '../../src/webhooks/events.js';
import type { CreateWebhookInput } from '../../src/webhooks/schema.js';
import { closeWebhookAgents } from '../../src/webhooks/send.js';
import { WebhookStore } from '../../src/webhooks/store.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { sampleAnomaly } from './fixtures.js';
import { Receiver, type Reply } from '../helpers/receiver.js';
import { until } from '../helpers/until.js';

let redis: TestRedis;
let conn: Redis;
let store: WebhookStore;
const rx = new Receiver();
const open: WebhookDispatcher[] = [];

/** Each test has its own minute (an hour apart), one second before its end. */
let clock = 0;
let minuteSeq = 0;
function nextMinute(): number {
  const start = Date.UTC(2025, 2, 4, 10 + minuteSeq++, 0);
  clock = start + 59_000;
  return start;
}

/**
 * A replica: enqueues only, or delivers too. A digest job is due 1.1 s after the fake clock's minute ends (a
 * 100 ms grace), so each test bursts with enqueue-only replicas and starts a worker afterwards: however slow
 * the machine, the minute holds the whole burst.
 */
function replica(opts: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
  const d = new WebhookDispatcher({
    connection: conn,
    store,
    silences: new SilenceStore(conn),
    allowPrivate: true,
    attempts: 3,
    backoffBaseMs: 40,
    backoffMaxMs: 100,
    timeoutMs: 2000,
    digestGraceMs: 100,
    now: () => clock,
    ...opts,
  });
  open.push(d);
  return d;
}

/** A webhook that only wants anomalies of its own service, so the tests never see each other's events. */
async function hook(path: string, over: Partial<CreateWebhookInput> = {}, ...script: Reply[]) {
  const service = `svc-${path.replace(/\W/g, '')}`;
  const h = await store.create({
    url: rx.url(path, ...script),
    services: [service],
    events: ['anomaly.detected'],
    ...over,
  });
  return { hook: h, service };
}

/** n anomalies of `service`, each a distinct deciban of surprise, in a shuffled order. */
function burst(service: string, n: number, prefix: string): Anomaly[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}${i.toString(16).padStart(32 - prefix.length, '0')}`;
    return sampleAnomaly({ traceId: id, id, service, surprise: 1 + ((i * 7919) % n) / 10 });
  });
}

/** Alternates the burst over two replicas: the cap and the digest must hold across them. */
async function enqueueAll(anomalies: Anomaly[], replicas: WebhookDispatcher[]) {
  for (let i = 0; i < anomalies.length; i += 25)
    await Promise.all(
      anomalies.slice(i, i + 25).map((a, j) => replicas[(i + j) % replicas.length].enqueue(anomalyEvent(a))),
    );
}

const bodies = (path: string) => (rx.hits.get(path) ?? []).map((h) => JSON.parse(h.body) as { type: string });
const digests = (path: string) =>
  bodies(path).filter((b) => b.type === 'anomaly.digest') as unknown as { id: string; data: AnomalyDigest }[];
const settle = () => new Promise((r) => setTimeout(r, 600));

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  conn.on('error', () => undefined);
  store = new WebhookStore(conn, { allowPrivate: true });
  await rx.start();
}, 60_000);

afterAll(async () => {
  for (const d of open) await d.close();
  await closeWebhookAgents();
  conn?.disconnect();
  await new Promise((r) => rx.server?.close(r));
  await redis?.close();
});

describe('anomaly digests (real Redis, real HTTP receiver)', () => {
  it('sends a burst of 500 in one minute as one digest: the top 10 by rank and the count', async () => {
    const minute = nextMinute();
    const { hook: h, service } = await hook('/digest');
    const anomalies = burst(service, 500, 'a');
    await enqueueAll(anomalies, [replica(), replica()]);
    expect(rx.count('/digest')).toBe(0);

    replica().startWorker();
    await until('the digest', () => rx.count('/digest') === 1);
    await settle();
    expect(rx.count('/digest')).toBe(1);
    const [d] = digests('/digest');
    expect(d.id).toBe(`digest_${h.id}_${new Date(minute).toISOString().replace(/[-:]/g, '').slice(0, 13)}`);
    expect(d.data).toMatchObject({ webhookId: h.id, minute: new Date(minute).toISOString(), count: 500 });
    expect(d.data.sentSingly).toBe(0);
    const expected = [...anomalies].sort(byRank).slice(0, 10);
    expect(d.data.top.map((t) => t.id)).toEqual(expected.map((a) => a.id));
    expect(d.data.top[0]).toMatchObject({
      endpoint: `${service}:GET /checkout`,
      score: 0.93,
      rootCause: { where: 'payments:Charge', kind: 'latency', evidence: 'self time 1520 ms vs p99 80 ms' },
    });
    expect(rx.hits.get('/digest')![0].headers['webhook-id']).toBe(`${d.id}:${h.id}`);
  });

  it('in mode each with cap 10 sends 10 singly and folds the other 490 into one digest', async () => {
    nextMinute();
    const { service } = await hook('/each', { anomalies: { mode: 'each', maxPerMinute: 10 } });
    const anomalies = burst(service, 500, 'b');
    await enqueueAll(anomalies, [replica(), replica()]);

    replica().startWorker();
    await until('10 singles and a digest', () => rx.count('/each') === 11);
    await settle();
    expect(rx.count('/each')).toBe(11);
    const singles = bodies('/each').filter((b) => b.type === 'anomaly.detected') as unknown as {
      data: Anomaly;
    }[];
    expect(singles).toHaveLength(10);
    const [d] = digests('/each');
    expect(d.data).toMatchObject({ count: 500, sentSingly: 10 });
    const single = new Set(singles.map((s) => s.data.id));
    const rest = anomalies.filter((a) => !single.has(a.id)).sort(byRank);
    expect(d.data.top.map((t) => t.id)).toEqual(rest.slice(0, 10).map((a) => a.id));
  });

  it('sends nothing twice: a re-notified burst, a retried delivery and a second job for the same minute', async () => {
    const minute = nextMinute();
    const { hook: h, service } = await hook('/retried', {}, { status: 503 }, { status: 200 });
    const anomalies = burst(service, 60, 'c');
    const producer = replica();
    await enqueueAll(anomalies, [producer]);
    // A scoring job run again notifies every anomaly it stored once more.
    await enqueueAll(anomalies, [producer]);

    const worker = replica();
    worker.startWorker();
    await until('the digest retried once', () => rx.count('/retried') === 2);
    await settle();
    const hits = rx.hits.get('/retried')!;
    expect(hits).toHaveLength(2);
    expect(hits[1].body).toBe(hits[0].body);
    expect(hits[1].headers['webhook-id']).toBe(hits[0].headers['webhook-id']);
    expect(digests('/retried')[1].data.count).toBe(60);

    // The same minute's digest queued again under another job id finds it delivered and sends nothing.
    const again = await worker.queue.add(
      'anomaly.digest',
      { deliveryId: 'again', webhookId: h.id, digest: { minuteMs: minute } },
      { jobId: 'again' },
    );
    await until('the second job', async () => (await again.getState()) === 'completed');
    expect(await worker.queue.getJob('again').then((j) => j?.returnvalue)).toEqual({
      skipped: 'digest already delivered',
    });
    // And the burst notified a third time adds nothing (its digest job is kept as completed).
    await enqueueAll(anomalies.slice(0, 5), [producer]);
    await settle();
    expect(rx.count('/retried')).toBe(2);
    const deliveryId = String(hits[0].headers['webhook-id']);
    expect(await worker.queue.getJobState(jobIdOf(deliveryId))).toBe('completed');
  });

  it('leaves silenced anomalies out of the digest and its count', async () => {
    nextMinute();
    const { service } = await hook('/quiet');
    const silences = new SilenceStore(conn);
    const loud = burst(service, 30, 'd');
    const muted = burst(service, 20, 'e').map((a) => ({
      ...a,
      rootCauses: [{ ...a.rootCauses[0], service: 'muted-db' }],
    }));
    const s = await silences.create({ service: 'muted-db', minutes: 5 });
    await enqueueAll([...muted, ...loud], [replica()]);
    await silences.remove(s.id);

    replica().startWorker();
    await until('the digest', () => rx.count('/quiet') === 1);
    const [d] = digests('/quiet');
    expect(d.data.count).toBe(30);
    expect(d.data.top.every((t) => t.id.startsWith('d'))).toBe(true);
  });
});

describe('DigestStore', () => {
  it('sends an anomaly that arrives after its minute was read to the next minute', async () => {
    const digestsStore = new DigestStore(conn);
    const minute = Date.UTC(2025, 5, 1, 8, 0);
    const [a, b] = burst('late', 2, 'f');
    expect(await digestsStore.admit('wh_late', a, 0, minute + 1000)).toEqual({
      placement: 'digest',
      minuteMs: minute,
      fresh: true,
    });
    expect(await digestsStore.close('wh_late', minute)).toMatchObject({ count: 1, sentSingly: 0 });
    // A replica whose clock is behind still thinks it is that minute.
    expect(await digestsStore.admit('wh_late', b, 0, minute + 59_000)).toEqual({
      placement: 'digest',
      minuteMs: minute + 60_000,
      fresh: true,
    });
    expect(await digestsStore.admit('wh_late', a, 0, minute + 61_000)).toEqual({
      placement: 'digest',
      minuteMs: minute,
      fresh: false,
    });
    expect(await digestsStore.close('wh_late', minute)).toMatchObject({ count: 1 });
  });

  it('counts singles against the cap once per anomaly', async () => {
    const digestsStore = new DigestStore(conn);
    const now = Date.UTC(2025, 5, 1, 9, 0, 30);
    const [a, b, c] = burst('cap', 3, 'g');
    expect((await digestsStore.admit('wh_cap', a, 2, now)).placement).toBe('single');
    expect(await digestsStore.admit('wh_cap', a, 2, now)).toMatchObject({
      placement: 'single',
      fresh: false,
    });
    expect((await digestsStore.admit('wh_cap', b, 2, now)).placement).toBe('single');
    expect((await digestsStore.admit('wh_cap', c, 2, now)).placement).toBe('digest');
  });
});
