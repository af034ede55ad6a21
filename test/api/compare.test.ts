import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { trainBaseline } from '../../src/detectors/baseline/index.js';
import type { BaselineModel } from '../../src/detectors/baseline/model.js';
import { viewSpans } from '../../src/explain/span-context.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { TraceReservoir } from '../../src/store/reservoir.js';
import { checkout } from '../helpers/checkout.js';
import { useRedis } from '../helpers/redis.js';
import { anomaly, tid } from '../helpers/anomaly-fixtures.js';
import { READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';

let redis: RedisClient;
let app: FastifyInstance;
let store: AnomalyStore;
let reservoir: TraceReservoir;
let model: BaselineModel | undefined;

const ENDPOINT = 'frontend:GET /checkout';

useRedis((c) => (redis = c));
beforeAll(async () => {
  store = new AnomalyStore(redis);
  reservoir = new TraceReservoir(redis);
  app = await buildApi(
    baseDeps({
      redis,
      anomalies: store,
      normals: {
        traces: (endpoint) => reservoir.spread(endpoint, 400),
        baseline: async () => model,
      },
    }),
    { rateLimit: false },
  );
});
afterAll(async () => {
  await app.close();
});

const get = async (url: string, key = READ_KEY) => {
  const res = await app.inject({ url, headers: auth(key) });
  return { status: res.statusCode, body: res.json() };
};

/** The fault: payment:Charge at 100 ms, cart:GetCart never called, inventory:Reserve failing. */
const fault = () => checkout(5000, { chargeUs: 100_000, cart: false, failed: true });

describe('GET /v1/anomalies/{id}/compare', () => {
  it('says plainly when the endpoint has no normal trace yet, and when the anomaly is unknown', async () => {
    const bad = fault();
    await store.put(anomaly(1, { id: tid(1), traceId: bad.traceId, spans: viewSpans(bad) }));
    const none = await get(`/v1/anomalies/${tid(1)}/compare`);
    expect(none.status).toBe(404);
    expect(none.body.error).toEqual({
      code: 'no_normal_trace',
      message: `no normal trace of ${ENDPOINT} yet: one is kept once a trace of it is scored and not flagged`,
    });
    const unknown = await get(`/v1/anomalies/${tid(404)}/compare`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(`anomaly ${tid(404)} not found`);
    await store.put(anomaly(2, { spans: undefined }));
    expect((await get(`/v1/anomalies/${tid(2)}/compare`)).body.error.message).toMatch(/kept no spans/);
    expect((await get('/v1/anomalies/bad%20id/compare')).status).toBe(400);
    expect((await app.inject({ url: `/v1/anomalies/${tid(1)}/compare` })).statusCode).toBe(401);
  });

  it('returns the typical normal trace with its spans and the diff, slower rows with their normal range', async () => {
    const normal = Array.from({ length: 60 }, (_, i) => checkout(i, { chargeUs: 10_000 + (i % 10) * 500 }));
    model = trainBaseline(normal);
    await reservoir.addTraces(normal);
    const bad = fault();
    await store.put(
      anomaly(3, { id: tid(3), traceId: bad.traceId, spans: viewSpans(bad, model), durationMs: 200 }),
    );

    const { status, body } = await get(`/v1/anomalies/${tid(3)}/compare`);
    expect(status).toBe(200);
    expect(body.anomalyId).toBe(tid(3));
    expect(body.endpoint).toBe(ENDPOINT);
    expect(body.choice).toMatchObject({ candidates: 60, sameShape: 60 });
    // Charge takes 10-14.5 ms in normal traffic; the median trace is one at 12 or 12.5 ms.
    const picked = normal.find((t) => t.traceId === body.normal.traceId)!;
    expect(picked).toBeDefined();
    const charge = picked.spans.find((s) => s.service === 'payment')!;
    expect([12_000, 12_500]).toContain(charge.duration);
    // Spans as the anomaly view has them: with the model's normal range and the critical path.
    expect(body.normal.spans).toHaveLength(picked.spans.length);
    const viewed = body.normal.spans.find((s: { service: string }) => s.service === 'payment');
    expect(viewed).toMatchObject({ duration: charge.duration, critical: true });
    expect(viewed.normal.p99).toBeGreaterThan(viewed.normal.p50);

    expect(body.rows.map((r: { kind: string; service: string }) => `${r.kind} ${r.service}`)).toEqual([
      'error inventory',
      'slower payment',
      'missing cart',
    ]);
    const slower = body.rows[1];
    expect(slower).toMatchObject({ this: 100, normal: charge.duration / 1000 });
    expect(slower.normalP50).toBeGreaterThan(10);
    expect(slower.normalP99).toBeLessThan(16);
    expect(body.rows[2]).toMatchObject({ normalDuration: 6, below: 1, normalShare: 1 });
  });

  it('is in the OpenAPI document with its row schema', async () => {
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    const op = doc.paths['/v1/anomalies/{id}/compare'].get;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '404']));
    expect(JSON.stringify(op.responses['200'])).toContain('normalP99');
  });
});
