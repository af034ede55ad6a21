import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../src/store/redis-client.js';
import { useRedis } from '../helpers/redis.js';
import { buildApi } from '../../src/api/index.js';
import { SilenceStore } from '../../src/store/silences.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';

let redis: RedisClient;
let app: FastifyInstance;
let now = Date.parse('2025-03-01T00:00:00Z');

useRedis((c) => (redis = c));
beforeAll(async () => {
  app = await buildApi(baseDeps({ redis, silences: new SilenceStore(redis, () => now) }), {
    rateLimit: false,
    uiDir: false,
  });
});
afterAll(async () => {
  await app.close();
});

const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, key: string, payload?: unknown) => {
  const res = await app.inject({ method, url, headers: auth(key), payload: payload as object });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
};

describe('/v1/silences', () => {
  it('creates, lists, expires and ends silences; only admins change them', async () => {
    expect((await call('POST', '/v1/silences', READ_KEY, { service: 'payment', minutes: 30 })).status).toBe(
      403,
    );
    const bad = await call('POST', '/v1/silences', ADMIN_KEY, { service: 'a', endpoint: 'a:b', minutes: 30 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^body field service: give exactly one of service or endpoint/);

    const long = await call('POST', '/v1/silences', ADMIN_KEY, {
      service: 'payment',
      minutes: 30,
      note: 'deploy',
    });
    expect(long.status).toBe(201);
    expect(long.body).toMatchObject({
      service: 'payment',
      until: '2025-03-01T00:30:00.000Z',
      note: 'deploy',
    });
    expect(long.body.by).toMatch(/^key:[0-9a-f]{12}$/);
    const short = await call('POST', '/v1/silences', ADMIN_KEY, { endpoint: 'frontend:GET /', minutes: 5 });
    const ids = async () =>
      (await call('GET', '/v1/silences', READ_KEY)).body.items.map((s: { id: string }) => s.id);
    expect(await ids()).toEqual([short.body.id, long.body.id]);

    now += 10 * 60_000; // the 5-minute one is over
    expect(await ids()).toEqual([long.body.id]);
    expect((await call('DELETE', `/v1/silences/${long.body.id}`, ADMIN_KEY)).status).toBe(204);
    expect(await ids()).toEqual([]);
    expect((await call('DELETE', `/v1/silences/${long.body.id}`, ADMIN_KEY)).status).toBe(404);
  });
});
