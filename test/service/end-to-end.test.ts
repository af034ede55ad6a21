import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startSimServer, type SimServer } from '../../src/sim/index.js';
import { pollingConfig } from '../helpers/polling-config.js';
import { startService, type RunningService } from '../../src/app/start.js';
import { until } from '../helpers/until.js';
import { activateShopModel } from '../helpers/models.js';
import { Receiver } from '../helpers/receiver.js';

describe('service end to end: Jaeger source -> scored anomalies -> API -> signed webhook', () => {
  let redis: TestRedis;
  let sim: SimServer;
  let service: RunningService;
  const receiver = new Receiver();

  beforeAll(async () => {
    redis = await startRedis();
    // A model of the shop's normal traffic, active for every endpoint.
    const admin = new Redis(redis.url);
    await activateShopModel(admin);
    admin.disconnect();

    await receiver.start();

    // 300 simulated seconds already happened, the errors fault from 200 s on.
    sim = await startSimServer({ scenario: 'shop-errors', port: 0, seed: 9, backfillS: 300 });
    service = await startService(
      pollingConfig(redis.url, sim.url, {
        TRACEHOUND_INITIAL_LOOKBACK: '400',
        TRACEHOUND_API_KEYS: 'admin-key-123:admin',
      }),
      new Set(['api', 'worker', 'scheduler'] as const),
      () => {},
    );
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await sim?.close();
    await receiver.close();
    await redis?.close();
  });

  it('pulls, scores and serves ranked anomalies whose root cause is the failing service', async () => {
    const auth = { authorization: 'Bearer admin-key-123' };
    const hook = await service.api!.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: auth,
      payload: {
        url: receiver.url('/hook'),
        secret: 'topsecret',
        events: ['anomaly.detected'],
        anomalies: { mode: 'each' },
      },
    });
    expect(hook.statusCode).toBe(201);

    // Once a good share of the backfill is scored: the anomalies the fault made must blame the failing
    // service (the simulator's truth says which traces it changed); the rest are fault-free traffic's tail.
    const page = await until(
      'a full page of anomalies from the errors fault',
      async () => {
        const r = await service.api!.inject({
          method: 'GET',
          url: '/v1/anomalies?order=score&limit=200',
          headers: auth,
        });
        const body = r.json() as {
          items: { traceId: string; rootCauses: { service: string; kind: string }[]; link?: string }[];
        };
        const faulty = new Set(
          sim
            .truth()
            .traces.filter((t) => t.anomalous)
            .map((t) => t.traceId),
        );
        return body.items.filter((a) => faulty.has(a.traceId)).length >= 50 ? body : undefined;
      },
      90_000,
      { everyMs: 250 },
    );
    const truth = sim.truth();
    const faultService = truth.faults?.[0]?.rootCause?.service ?? 'cartservice';
    const faulty = new Set(truth.traces.filter((t) => t.anomalous).map((t) => t.traceId));
    const ofFault = page.items.filter((a) => faulty.has(a.traceId));
    const blamed = ofFault.filter((a) => a.rootCauses[0]?.service === faultService).length;
    expect(blamed / ofFault.length, `${blamed} of ${ofFault.length}`).toBeGreaterThan(0.9);
    expect(page.items[0].link).toMatch(new RegExp(`^${sim.url}/trace/[0-9a-f]{32}$`));

    const delivery = await until('a webhook delivery', async () => receiver.log[0], 30_000, { everyMs: 250 });
    const id = String(delivery.headers['webhook-id']);
    const ts = String(delivery.headers['webhook-timestamp']);
    const expected = createHmac('sha256', 'topsecret')
      .update(`${id}.${ts}.${delivery.body}`)
      .digest('base64');
    expect(delivery.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(JSON.parse(delivery.body)).toMatchObject({ type: 'anomaly.detected', data: { anomalous: true } });

    const metrics = await service.api!.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/tracehound_traces_polled_total\{source="jaeger"\} [1-9]/);
    expect(metrics.body).toMatch(
      /tracehound_poll_lag_seconds\{service="[^"]+",source="jaeger"\} [0-9.e+]+$/m,
    );
  }, 150_000);

  it('scores posted traces at once; an endpoint without a model still gets its error spans', async () => {
    const traceID = 'ab'.repeat(16);
    const span = (id: string, op: string, parent?: string, error = false) => ({
      traceID,
      spanID: id.padStart(16, '0'),
      operationName: op,
      references: parent ? [{ refType: 'CHILD_OF', traceID, spanID: parent.padStart(16, '0') }] : [],
      startTime: 1_700_000_000_000_000,
      duration: 1000,
      tags: error ? [{ key: 'error', type: 'bool', value: true }] : [],
      processID: parent ? 'p2' : 'p1',
    });
    const doc = {
      data: [
        {
          traceID,
          spans: [span('1', 'GET /new'), span('2', 'charge', '1', true)],
          processes: { p1: { serviceName: 'edge' }, p2: { serviceName: 'billing' } },
        },
      ],
    };
    const r = await service.api!.inject({
      method: 'POST',
      url: '/v1/score',
      headers: { authorization: 'Bearer admin-key-123', 'content-type': 'application/json' },
      payload: JSON.stringify(doc),
    });
    expect(r.statusCode).toBe(200);
    const items = r.json().items as { anomalous: boolean; rootCauses: { service: string; kind: string }[] }[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ anomalous: true, rootCauses: [{ service: 'billing', kind: 'error' }] });
  });
});
