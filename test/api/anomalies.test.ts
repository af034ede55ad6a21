import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import type { FastifyInstance } from 'fastify';
import { useRedis } from '../helpers/redis.js';
import { buildApi } from '../../src/api/index.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import { anomaly, tid, T0 } from '../helpers/anomaly-fixtures.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';

let redis: RedisClient;
let store: AnomalyStore;
let app: FastifyInstance;

useRedis((c) => (redis = c));
beforeAll(async () => {
  store = new AnomalyStore(redis);
  // Scored traffic is counted by the aggregate store (test/store/aggregates.test.ts); here it is given.
  const traffic = async () => [{ service: 'a', operation: 'x', scored: 10, anomalous: 2 }];
  // Models: a:x has an active version, b:y is training its first, c:z (no traffic, no anomalies) is off.
  const models = {
    list: async () => [
      { endpoint: 'a:x', status: 'active' as const, activeVersion: 2, versions: [] },
      { endpoint: 'b:y', status: 'training' as const, versions: [] },
      { endpoint: 'b:w', status: 'inactive' as const, versions: [] },
    ],
    retrain: async () => ({ jobId: 'j' }),
    activate: async () => false,
  };
  app = await buildApi(baseDeps({ redis, anomalies: store, traffic: { traffic }, models }), {
    rateLimit: false,
  });
});
afterAll(async () => {
  await app.close();
});

const get = async (url: string) => {
  const res = await app.inject({ url, headers: auth(READ_KEY) });
  return { status: res.statusCode, body: res.json() };
};

describe('GET /v1/anomalies', () => {
  it('ranks, filters and pages through HTTP', async () => {
    for (let i = 0; i < 30; i++)
      await store.put(anomaly(i, { service: i % 2 ? 'a' : 'b', operation: 'op', score: 0.5 + i / 100 }));
    const top = await get('/v1/anomalies?limit=3');
    expect(top.status).toBe(200);
    expect(top.body.items.map((a: { id: string }) => a.id)).toEqual([29, 28, 27].map(tid));

    const svc = await get('/v1/anomalies?service=a&order=time&limit=100');
    expect(svc.body.items).toHaveLength(15);
    expect(svc.body.items.every((a: { service: string }) => a.service === 'a')).toBe(true);

    const from = new Date(T0 + 10_000).toISOString();
    const ranged = await get(`/v1/anomalies?order=time&from=${from}&to=${T0 + 12_000}`);
    expect(ranged.body.items.map((a: { id: string }) => a.id)).toEqual([12, 11, 10].map(tid));

    expect((await get('/v1/anomalies?minScore=0.75')).body.items).toHaveLength(5);
    expect((await get('/v1/anomalies?endpoint=b:op&limit=500')).body.items).toHaveLength(15);
    expect((await get('/v1/anomalies?rootCauseService=nobody')).body.items).toHaveLength(0);

    const ids: string[] = [];
    let url = '/v1/anomalies?limit=7';
    for (let page = 0; page < 10; page++) {
      const p = await get(url);
      ids.push(...p.body.items.map((a: { id: string }) => a.id));
      if (!p.body.nextCursor) break;
      url = `/v1/anomalies?limit=7&cursor=${encodeURIComponent(p.body.nextCursor)}`;
    }
    expect(ids).toEqual(Array.from({ length: 30 }, (_, i) => tid(29 - i)));
  });

  it('view=summary lists the same anomalies without their spans and features', async () => {
    const span = { spanId: 'a1', service: 'a', operation: 'x', start: 1, duration: 5, error: false };
    await store.put(anomaly(90, { score: 0.99, spans: [span], features: [] }));
    const full = await get('/v1/anomalies?limit=1');
    const summary = await get('/v1/anomalies?limit=1&view=summary');
    expect(full.body.items[0].spans).toHaveLength(1);
    expect(full.body.items[0].features).toEqual([]);
    const { spans: _s, features: _f, ...rest } = full.body.items[0];
    expect(summary.body.items).toEqual([rest]);
    expect(summary.body.nextCursor).toBe(full.body.nextCursor);
    expect((await get('/v1/anomalies?view=short')).status).toBe(400);
  });

  it('names the parameter that is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['limit=0', /query parameter limit: .*>=1/],
      ['limit=abc', /query parameter limit: expected an integer 1\.\.500/],
      ['order=fast', /query parameter order: .*"score"\|"time"/],
      ['minScore=2', /query parameter minScore: .*<=1/],
      ['from=yesterday', /query parameter from: expected an ISO 8601 time or epoch milliseconds/],
      ['from=2000&to=1000', /query parameter from: from must not be after to/],
      ['endpoint=nocolon', /query parameter endpoint: expected service:operation/],
      ['cursor=garbage', /query parameter cursor: cursor is not one this API returned/],
      ['servce=a', /Unrecognized key.*servce/],
    ];
    for (const [q, re] of cases) {
      const res = await get(`/v1/anomalies?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.code, q).toBe('invalid_request');
      expect(res.body.error.message, q).toMatch(re);
    }
  });
});

describe('one anomaly and feedback', () => {
  it('gets by id, 404 when unknown, 400 for a malformed id', async () => {
    await store.put(anomaly(5));
    const ok = await get(`/v1/anomalies/${tid(5)}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(anomaly(5));
    const missing = await get(`/v1/anomalies/${tid(6)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain(tid(6));
    const bad = await get('/v1/anomalies/has%20space');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/path parameter id/);
  });

  it('explain=all appends every cause the record kept beyond the top ones; nothing else shows them', async () => {
    const small = (service: string, contribution: number) => ({
      service,
      kind: 'latency' as const,
      contribution,
      evidence: `${service} was a little slow.`,
    });
    const other = [small('cart', 0.015), small('ads', 0.004)];
    await store.put({ ...anomaly(7), otherCauses: other });
    const top = await get(`/v1/anomalies/${tid(7)}`);
    expect(top.body).toEqual(anomaly(7));
    expect((await get(`/v1/anomalies/${tid(7)}?explain=top`)).body).toEqual(anomaly(7));
    const all = await get(`/v1/anomalies/${tid(7)}?explain=all`);
    expect(all.status).toBe(200);
    expect(all.body.rootCauses).toEqual([...anomaly(7).rootCauses, ...other]);
    expect(all.body).not.toHaveProperty('otherCauses');
    // A record without more causes answers the same either way.
    await store.put(anomaly(8));
    expect((await get(`/v1/anomalies/${tid(8)}?explain=all`)).body).toEqual(anomaly(8));

    const bad = await get(`/v1/anomalies/${tid(7)}?explain=everything`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/explain/);
    const list = await get('/v1/anomalies?limit=10');
    expect(list.body.items.some((a: object) => 'otherCauses' in a)).toBe(false);
    const fb = await app.inject({
      method: 'POST',
      url: `/v1/anomalies/${tid(7)}/feedback`,
      headers: auth(ADMIN_KEY),
      payload: { verdict: 'true-positive' },
    });
    expect(fb.json()).not.toHaveProperty('otherCauses');
    // Feedback keeps them.
    expect((await store.get(tid(7), 'all'))?.rootCauses).toHaveLength(3);
  });

  it('stores feedback and validates its body', async () => {
    await store.put(anomaly(5));
    const post = (payload: unknown) =>
      app.inject({
        method: 'POST',
        url: `/v1/anomalies/${tid(5)}/feedback`,
        headers: auth(ADMIN_KEY),
        payload: payload as object,
      });
    const ok = await post({ verdict: 'false-positive', note: 'deploy window' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().feedback).toMatchObject({ verdict: 'false-positive', note: 'deploy window' });
    expect((await store.get(tid(5)))?.feedback?.verdict).toBe('false-positive');
    const bad = await post({ verdict: 'maybe' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/body field verdict/);
    const extra = await post({ verdict: 'true-positive', score: 1 });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.message).toMatch(/score/);
  });
});

describe('ranking saturated anomalies, and false-positive feedback', () => {
  const order = async (q = '') =>
    (await get(`/v1/anomalies?order=score${q}`)).body.items.map((a: { id: string }) => a.id);
  const markFalse = (id: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/anomalies/${id}/feedback`,
      headers: auth(ADMIN_KEY),
      payload: { verdict: 'false-positive', note: 'nightly batch' },
    });
  const slowDb = [{ service: 'db', kind: 'latency' as const, contribution: 1, evidence: 'db was slow.' }];

  it('ranks by surprise where every score is 1; a false positive moves down, and those like it', async () => {
    await store.put(anomaly(1, { score: 1, surprise: 80 })); // will be marked
    await store.put(anomaly(2, { score: 1, surprise: 60 })); // like 1
    await store.put(anomaly(3, { score: 1, surprise: 40, rootCauses: slowDb })); // another cause
    await store.put(anomaly(4, { score: 1, surprise: 20, service: 'cart' })); // another endpoint
    expect(await order()).toEqual([1, 2, 3, 4].map(tid));
    expect(await order('&minSurprise=50')).toEqual([1, 2].map(tid));

    expect((await markFalse(tid(1))).statusCode).toBe(200);
    expect(await order()).toEqual([3, 4, 2, 1].map(tid));
    // A new anomaly like the false positive ranks by what it has beyond it (85 - 80), below the others.
    await store.put(anomaly(5, { score: 1, surprise: 85 }));
    expect(await order()).toEqual([3, 4, 5, 2, 1].map(tid));
    // A far stronger one still leads.
    await store.put(anomaly(6, { score: 1, surprise: 200 }));
    expect((await order())[0]).toBe(tid(6));
    // The records themselves are unchanged: score, surprise and feedback as given.
    const one = (await get(`/v1/anomalies/${tid(2)}`)).body;
    expect(one).toMatchObject({ score: 1, surprise: 60 });
    expect(one.feedback).toBeUndefined();
  });

  it('refuses a negative minSurprise, naming it', async () => {
    const res = await get('/v1/anomalies?minSurprise=-1');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/query parameter minSurprise/);
  });
});

describe('catalog', () => {
  it('lists services and endpoints with counts and rates', async () => {
    await store.put(anomaly(1, { service: 'a', operation: 'x' }));
    await store.put(anomaly(2, { service: 'a', operation: 'x' }));
    await store.put(anomaly(3, { service: 'b', operation: 'y' }));
    const eps = await get('/v1/endpoints');
    expect(eps.body.items[0]).toEqual({
      endpoint: 'a:x',
      service: 'a',
      operation: 'x',
      anomalies: 2,
      scored: 10,
      anomalous: 2,
      anomalyRate: 0.2,
      model: { status: 'active', activeVersion: 2 },
    });
    const svcs = await get('/v1/services');
    const none = { active: 0, training: 0, inactive: 0, none: 0 };
    expect(svcs.body.items).toEqual([
      { service: 'a', anomalies: 2, rootCauseOf: 0, endpoints: 1, models: { ...none, active: 1 } },
      {
        service: 'b',
        anomalies: 1,
        rootCauseOf: 0,
        endpoints: 2,
        models: { ...none, training: 1, inactive: 1 },
      },
      { service: 'payment', anomalies: 0, rootCauseOf: 3, endpoints: 0, models: none },
    ]);
  });
});
