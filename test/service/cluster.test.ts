/**
 * The service on a Redis Cluster: three masters started here (redis-server --cluster-enabled, redis-cli
 * --cluster create), the service configured with REDIS_CLUSTER_NODES. Every repository that writes outside
 * BullMQ is used across slots: the anomaly store, reservoirs, the push buffer, the poller's state, the model
 * registry, webhooks with their delivery log; BullMQ runs its queues on the same cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { startSimServer, type SimServer } from '../../src/sim/index.js';
import { loadConfig } from '../../src/config.js';
import { startService, type RunningService } from '../../src/app/start.js';
import { ModelRegistry } from '../../src/registry/redis-registry.js';
import { TraceReservoir } from '../../src/store/reservoir.js';
import { SpanBuffer } from '../../src/store/span-buffer.js';
import { RedisPollerState } from '../../src/sources/redis-state.js';
import { WebhookStore } from '../../src/webhooks/store.js';
import { readDeliveryLog } from '../../src/webhooks/delivery-log.js';
import { generate } from '../../src/sim/index.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { startRedisCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { raw } from '../helpers/spans.js';
import { FAST, faultyShop } from './reliability-harness.js';
import { until } from '../helpers/until.js';
import { publishModel, shopEndpoints, trainShopModel } from '../helpers/models.js';
import { Receiver } from '../helpers/receiver.js';

describe('the service on a Redis Cluster', () => {
  let cluster: TestCluster;
  let client: Cluster;
  let sim: SimServer;
  let service: RunningService | undefined;
  let model: ModelSet;
  const receiver = new Receiver();

  beforeAll(async () => {
    [cluster, model] = await Promise.all([startRedisCluster(3), trainShopModel()]);
    client = cluster.client();
    await receiver.start();
    sim = await startSimServer({ scenario: faultyShop(), port: 0, seed: 21, backfillS: 20 });
  }, 90_000);

  afterAll(async () => {
    await service?.close();
    await sim?.close();
    await receiver.close();
    client?.disconnect();
    await cluster?.close();
    model?.dispose();
  });

  it('spreads its keys over the nodes and every repository works across slots', async () => {
    const endpoints = shopEndpoints();
    await publishModel(client, endpoints, model);
    const registry = new ModelRegistry(client);
    expect(await registry.endpoints()).toEqual([...endpoints].sort());
    const first = endpoints[0];
    (await registry.load(first, (await registry.activeVersion(first))!)).dispose();

    const reservoir = new TraceReservoir(client, { capacity: 5 });
    const traces = generate('shop-normal', { seed: 6, durationS: 5 }).traces.map((s) =>
      normalizeTrace(s[0].traceId, s),
    );
    await reservoir.addTraces(traces);
    const eps = await reservoir.endpoints();
    expect(eps.length).toBeGreaterThan(1);
    for (const ep of eps) expect((await reservoir.sample(ep)).length).toBeGreaterThan(0);

    const buffer = new SpanBuffer(client);
    await buffer.add(
      [raw({ spanId: 'a', traceId: '1'.repeat(32) }), raw({ spanId: 'b', traceId: '2'.repeat(32) })],
      0,
    );
    const ids = await buffer.settledIds(10_000, 1000);
    expect(ids).toEqual(['1'.repeat(32), '2'.repeat(32)]);
    expect((await buffer.read(ids)).traces.map((t) => t.spans.length)).toEqual([1, 1]);
    await buffer.remove(['1'.repeat(32), '2'.repeat(32)]);
    expect(await buffer.pending()).toBe(0);

    const state = new RedisPollerState(client);
    expect(await state.markSeen('jaeger', ['a', 'b'], 60)).toEqual(['a', 'b']);
    expect(await state.unseen('jaeger', ['a', 'c'])).toEqual(['c']);

    const hooks = new WebhookStore(client, { allowPrivate: true });
    const hook = await hooks.create({
      url: receiver.url('/hook'),
      secret: 's3cret',
      events: ['anomaly.detected'],
      anomalies: { mode: 'each', maxPerMinute: 1000 },
    });
    expect((await hooks.list()).map((h) => h.id)).toEqual([hook.id]);

    // The keys really are on more than one node.
    const perNode = await Promise.all(client.nodes('master').map((n) => n.dbsize()));
    expect(perNode.filter((n) => n > 0).length).toBeGreaterThan(1);
  }, 60_000);

  it('polls, scores, stores and delivers webhooks with REDIS_CLUSTER_NODES', async () => {
    service = await startService(
      loadConfig({
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_CLUSTER_NODES: cluster.nodes,
        HOST: '127.0.0.1',
        PORT: '0',
        TRACEHOUND_JAEGER_URL: sim.url,
        TRACEHOUND_POLL_INTERVAL: '1',
        TRACEHOUND_POLL_SETTLE: '1',
        TRACEHOUND_POLL_OVERLAP: '3',
        TRACEHOUND_POLL_LIMIT: '300',
        TRACEHOUND_WEBHOOK_ALLOW_PRIVATE: 'true',
        TRACEHOUND_MIN_TRAINING_TRACES: '1000000000',
      }),
      new Set(['api', 'worker', 'scheduler'] as const),
      () => {},
      FAST,
    );
    const page = await until(
      'anomalies in the API',
      async () => {
        const r = await service!.api!.inject({ method: 'GET', url: '/v1/anomalies?order=score&limit=20' });
        const body = r.json() as { items: { id: string }[] };
        return body.items.length >= 10 ? body : undefined;
      },
      60_000,
      { everyMs: 250 },
    );
    await until(
      'their webhooks',
      async () => (page.items.every((a) => receiver.deliveredTraces().has(a.id)) ? true : undefined),
      30_000,
      { everyMs: 250 },
    );
    const hookId = (await new WebhookStore(client).list())[0].id;
    expect((await readDeliveryLog(client, hookId, 5)).some((e) => e.outcome === 'delivered')).toBe(true);
    // Pushed spans go through the buffer on the cluster too.
    const traceID = 'cd'.repeat(16);
    const pushed = await service.api!.inject({
      method: 'POST',
      url: '/api/v2/spans',
      payload: [
        {
          traceId: traceID,
          id: '00000000000000a1',
          name: 'get /x',
          kind: 'SERVER',
          timestamp: Date.now() * 1000 - 10_000_000,
          duration: 1000,
          localEndpoint: { serviceName: 'pushed' },
          tags: { error: 'boom' },
        },
      ],
    });
    expect(pushed.statusCode).toBeLessThan(300);
    // A failing span needs no model: the trace settles in the buffer, is scored, and is stored.
    await until(
      'the pushed trace stored',
      async () =>
        (await service!.api!.inject({ method: 'GET', url: `/v1/anomalies/${traceID}` })).statusCode === 200
          ? true
          : undefined,
      30_000,
      { everyMs: 250 },
    );
  }, 150_000);
});
