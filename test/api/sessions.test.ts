import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../src/store/redis-client.js';
import { buildApi } from '../../src/api/index.js';
import { SessionStore, type SessionEntry } from '../../src/store/sessions.js';
import { useRedis } from '../helpers/redis.js';
import { tid, T0 } from '../helpers/anomaly-fixtures.js';
import { READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';

let redis: RedisClient;
let app: FastifyInstance;
let store: SessionStore;

useRedis((c) => (redis = c));
beforeAll(async () => {
  store = new SessionStore(redis, { now: () => T0 + 60_000 });
  app = await buildApi(baseDeps({ redis, sessions: store }), { rateLimit: false, uiDir: false });
});
afterAll(async () => {
  await app.close();
});

const entry = (session: string, n: number, anomalous = false): SessionEntry => ({
  session,
  startUs: (T0 + n * 1000) * 1000,
  trace: {
    traceId: tid(n),
    startTime: new Date(T0 + n * 1000).toISOString(),
    service: 'frontend',
    operation: 'GET /cart',
    durationMs: 12,
    score: anomalous ? 0.95 : 0.2,
    anomalous,
    attribute: 'session.id',
    ...(anomalous && {
      rootCause: { service: 'cart', operation: 'Get', kind: 'error' as const, evidence: 'Get failed.' },
    }),
  },
});

const get = async (url: string, key: string | null = READ_KEY) => {
  const res = await app.inject({ url, headers: key ? auth(key) : {} });
  return { status: res.statusCode, body: res.json() };
};

describe('/v1/sessions', () => {
  it('lists recent sessions, searches by prefix, and shows one with its traces in time order', async () => {
    await store.put([entry('alice/42', 3), entry('alice/42', 1, true), entry('bob', 2), entry('alina', 5)]);
    const all = await get('/v1/sessions');
    expect(all.status).toBe(200);
    expect(all.body.items.map((s: { id: string }) => s.id)).toEqual(['alina', 'alice/42', 'bob']);
    expect(all.body.items[1]).toEqual({
      id: 'alice/42',
      traces: 2,
      anomalies: 1,
      firstSeen: new Date(T0 + 1000).toISOString(),
      lastSeen: new Date(T0 + 3000).toISOString(),
    });
    const found = await get('/v1/sessions?q=ali&limit=1');
    expect(found.body.items.map((s: { id: string }) => s.id)).toEqual(['alina']);

    // An id with a slash, escaped in the path.
    const one = await get(`/v1/sessions/${encodeURIComponent('alice/42')}`);
    expect(one.status).toBe(200);
    expect(one.body.items.map((t: { traceId: string }) => t.traceId)).toEqual([tid(1), tid(3)]);
    expect(one.body.items[0]).toMatchObject({ anomalous: true, rootCause: { evidence: 'Get failed.' } });
  });

  it('answers 404 for an unknown session and 400 for a bad query, saying which', async () => {
    const missing = await get('/v1/sessions/nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ code: 'not_found', message: 'session "nobody" not found' });
    const bad = await get('/v1/sessions?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^query parameter limit: /);
    const long = await get(`/v1/sessions?q=${'x'.repeat(201)}`);
    expect(long.status).toBe(400);
    expect(long.body.error.message).toMatch(/^query parameter q: /);
  });

  it('needs a read key, and is in the OpenAPI document', async () => {
    expect((await get('/v1/sessions', null)).status).toBe(401);
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/sessions', '/v1/sessions/{id}']));
    expect(doc.paths['/v1/sessions/{id}'].get.responses['404']).toBeDefined();
  });
});
