import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../src/store/redis-client.js';
import { useRedis } from '../helpers/redis.js';
import { buildApi } from '../../src/api/index.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { incident, M0 } from '../store/incident-fixtures.js';
import { READ_KEY, auth, baseDeps } from './stubs.js';

let redis: RedisClient;
let store: IncidentStore;
let app: FastifyInstance;

useRedis((c) => (redis = c));
beforeAll(async () => {
  store = new IncidentStore(redis);
  app = await buildApi(baseDeps({ redis, incidents: store }), { rateLimit: false });
});
afterAll(async () => {
  await app.close();
});

const get = async (url: string, key: string | null = READ_KEY) => {
  const res = await app.inject({ url, headers: key ? auth(key) : {} });
  return { status: res.statusCode, body: res.json() };
};

describe('GET /v1/incidents', () => {
  it('lists newest first with filters and a cursor that covers every incident once', async () => {
    for (let n = 0; n < 9; n++)
      await store.upsert(
        incident(n * 10, {
          status: n === 8 ? 'open' : 'resolved',
          resolvedAt: n === 8 ? undefined : incident(n * 10).resolvedAt,
          rootCauses: [{ service: n % 2 ? 'cartservice' : 'redis', score: 1, evidence: 'x' }],
        }),
      );
    const first = await get('/v1/incidents?limit=4');
    expect(first.status).toBe(200);
    expect(first.body.items.map((i: { id: string }) => i.id)).toEqual([
      'inc-t-80',
      'inc-t-70',
      'inc-t-60',
      'inc-t-50',
    ]);
    const ids: string[] = [];
    let url = '/v1/incidents?limit=4';
    for (let page = 0; page < 10; page++) {
      const p = await get(url);
      ids.push(...p.body.items.map((i: { id: string }) => i.id));
      if (!p.body.nextCursor) break;
      url = `/v1/incidents?limit=4&cursor=${encodeURIComponent(p.body.nextCursor)}`;
    }
    expect(ids).toEqual(Array.from({ length: 9 }, (_, i) => `inc-t-${(8 - i) * 10}`));

    const open = await get('/v1/incidents?status=open');
    expect(open.body.items.map((i: { id: string }) => i.id)).toEqual(['inc-t-80']);
    expect(open.body.items[0]).toEqual(
      incident(80, {
        status: 'open',
        resolvedAt: undefined,
        rootCauses: [{ service: 'redis', score: 1, evidence: 'x' }],
      }),
    );
    const cart = await get('/v1/incidents?service=cartservice&status=resolved');
    expect(cart.body.items.map((i: { id: string }) => i.id)).toEqual([
      'inc-t-70',
      'inc-t-50',
      'inc-t-30',
      'inc-t-10',
    ]);
    const window = await get(
      `/v1/incidents?from=${new Date(M0 + 22 * 60_000).toISOString()}&to=${M0 + 41 * 60_000}`,
    );
    expect(window.body.items.map((i: { id: string }) => i.id)).toEqual(['inc-t-40', 'inc-t-30', 'inc-t-20']);
  });

  it('names the parameter that is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['status=closed', /query parameter status: .*"open"\|"resolved"/],
      ['limit=501', /query parameter limit: .*<=500/],
      ['from=soon', /query parameter from: expected an ISO 8601 time or epoch milliseconds/],
      ['from=2000&to=1000', /query parameter from: from must not be after to/],
      ['cursor=garbage', /query parameter cursor: cursor is not one this API returned/],
      ['sevice=a', /Unrecognized key.*sevice/],
    ];
    for (const [q, re] of cases) {
      const res = await get(`/v1/incidents?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.code, q).toBe('invalid_request');
      expect(res.body.error.message, q).toMatch(re);
    }
  });

  it('needs a key', async () => {
    expect((await get('/v1/incidents', null)).status).toBe(401);
    expect((await get('/v1/incidents/inc-t-1', null)).status).toBe(401);
  });
});

describe('GET /v1/incidents/{id}', () => {
  it('returns the latest revision, 404 when unknown, 400 for a malformed id', async () => {
    await store.upsert(incident(3, { status: 'open', resolvedAt: undefined, revision: 0 }));
    await store.upsert(incident(3, { revision: 5, traceCount: 40 }));
    const ok = await get('/v1/incidents/inc-t-3');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(incident(3, { revision: 5, traceCount: 40 }));
    const missing = await get('/v1/incidents/inc-t-4');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('incident inc-t-4 not found');
    const bad = await get('/v1/incidents/has%20space');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/path parameter id/);
  });
});

describe('OpenAPI', () => {
  it('documents both routes with the incident schema', async () => {
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    const list = doc.paths['/v1/incidents'].get;
    expect(list.tags).toEqual(['incidents']);
    expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'cursor',
      'from',
      'limit',
      'service',
      'status',
      'to',
    ]);
    const one = doc.paths['/v1/incidents/{id}'].get;
    const schema = JSON.stringify(one.responses['200']);
    for (const field of ['rootCauses', 'signals', 'traceIds', 'revision', 'endpoints'])
      expect(schema, field).toContain(field);
  });
});
