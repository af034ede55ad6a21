import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApi } from '../../src/api/index.js';
import { RATE_LIMIT_PREFIX } from '../../src/api/rate-limit.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { freePort, keysOf, useRedis } from '../helpers/redis.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps, emptyAnomalies } from '../helpers/api-stubs.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

let apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps) await a.close();
  apps = [];
});

/** Two API replicas, as behind a load balancer: with `shared`, both keep their counters in the one Redis. */
async function replicas(shared: boolean, max = 3): Promise<FastifyInstance[]> {
  for (let i = 0; i < 2; i++)
    apps.push(
      await buildApi(baseDeps({ anomalies: emptyAnomalies(), ...(shared && { redis }) }), {
        rateLimit: { max, windowS: 60 },
      }),
    );
  return apps;
}

const get = (app: FastifyInstance, headers: Record<string, string> = {}, ip = '203.0.113.9') =>
  app.inject({ url: '/v1/anomalies', headers, remoteAddress: ip });

describe('rate limit across API replicas', () => {
  it('shares one limit per API key between two apps on one Redis', async () => {
    const [a, b] = await replicas(true);
    // Alternating replicas: 3 allowed in all, not 3 each.
    const codes = [];
    for (const app of [a, b, a, b, a]) codes.push((await get(app, auth(READ_KEY))).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);

    const limited = await get(b, auth(READ_KEY));
    expect(limited.statusCode).toBe(429);
    const retry = Number(limited.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(limited.json()).toEqual({
      error: { code: 'rate_limited', message: expect.stringContaining('too many requests') },
    });

    // Another key has its own allowance, on either replica.
    expect((await get(b, auth(ADMIN_KEY))).statusCode).toBe(200);
    // The counters are in Redis, under our prefix, named by the key's digest and never the key itself.
    const keys = await keysOf(redis, `${RATE_LIMIT_PREFIX}*`);
    expect(keys.length).toBe(2);
    for (const k of keys) {
      expect(k).toMatch(/^th:rl:key:[0-9a-f]{12}$/);
      expect(k).not.toContain(READ_KEY);
    }
  });

  it('without a key, limits by client IP, shared too; open routes are not limited', async () => {
    apps.push(
      ...(await Promise.all(
        [0, 1].map(() =>
          buildApi(baseDeps({ anomalies: emptyAnomalies(), apiKeys: new Map(), redis }), {
            rateLimit: { max: 2, windowS: 60 },
          }),
        ),
      )),
    );
    const [a, b] = apps;
    expect((await get(a, {}, '198.51.100.1')).statusCode).toBe(200);
    expect((await get(b, {}, '198.51.100.1')).statusCode).toBe(200);
    expect((await get(a, {}, '198.51.100.1')).statusCode).toBe(429);
    expect((await get(b, {}, '198.51.100.2')).statusCode).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await b.inject({ url: '/healthz', remoteAddress: '198.51.100.1' })).statusCode).toBe(200);
    expect(await keysOf(redis, `${RATE_LIMIT_PREFIX}ip:*`)).toHaveLength(2);
  });

  it('without Redis each replica counts alone (why the store matters)', async () => {
    const [a, b] = await replicas(false);
    const codes = [];
    for (const app of [a, b, a, b, a, b, a]) codes.push((await get(app, auth(READ_KEY))).statusCode);
    // Twice the limit gets through before either replica refuses.
    expect(codes).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect(await keysOf(redis, `${RATE_LIMIT_PREFIX}*`)).toHaveLength(0);
  });

  it('lets requests through when Redis fails rather than answering 500', async () => {
    // Nothing listens on this port, and with no offline queue every command fails at once.
    const broken = new Redis({
      port: await freePort(),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const app = await buildApi(baseDeps({ anomalies: emptyAnomalies(), redis: broken }), {
      rateLimit: { max: 1, windowS: 60 },
    });
    apps.push(app);
    for (let i = 0; i < 3; i++) expect((await get(app, auth(READ_KEY))).statusCode).toBe(200);
    broken.disconnect();
  });
});
