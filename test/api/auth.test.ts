import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi, keyMatcher, parseApiKeys } from '../../src/api/index.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps, emptyAnomalies } from '../helpers/api-stubs.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('API keys', () => {
  it('parses key:role lists and names the bad entry', () => {
    expect(() => parseApiKeys('aaaaaaaa:read, cccccccc')).toThrow(/entry 2: expected KEY:read or KEY:admin/);
    expect(parseApiKeys('aaaaaaaa:read, bbbbbbbb:admin,cccccccc:read')).toEqual(
      new Map([
        ['aaaaaaaa', 'read'],
        ['bbbbbbbb', 'admin'],
        ['cccccccc', 'read'],
      ]),
    );
    expect(parseApiKeys(undefined).size).toBe(0);
    expect(() => parseApiKeys('aaaaaaaa:read,bbbbbbbb:root')).toThrow(/entry 2: role "root"/);
    expect(() => parseApiKeys('short:admin')).toThrow(/entry 1: a key needs at least 8/);
  });

  it('matches only the exact key, whatever its length', () => {
    const match = keyMatcher(new Map([['secret-key-1', 'admin']]));
    expect(match('secret-key-1')).toBe('admin');
    expect(match('secret-key-')).toBeUndefined();
    expect(match('secret-key-12')).toBeUndefined();
    expect(match('')).toBeUndefined();
  });
});

describe('auth on routes', () => {
  it('401 without a key, 403 for a read key writing, 200 for admin; open routes need none', async () => {
    app = await buildApi(baseDeps({ anomalies: emptyAnomalies() }));
    const noKey = await app.inject({ url: '/v1/anomalies' });
    expect(noKey.statusCode).toBe(401);
    expect(noKey.json()).toEqual({
      error: { code: 'unauthorized', message: expect.stringMatching(/Bearer/) },
    });

    expect((await app.inject({ url: '/v1/anomalies', headers: auth(READ_KEY) })).statusCode).toBe(200);
    const post = (key: string) =>
      app!.inject({
        method: 'POST',
        url: `/v1/anomalies/${'a'.repeat(32)}/feedback`,
        headers: auth(key),
        payload: { verdict: 'true-positive' },
      });
    const forbidden = await post(READ_KEY);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.message).toMatch(/needs admin/);
    // Admin passes auth; the stub store does not know the id.
    expect((await post(ADMIN_KEY)).statusCode).toBe(404);

    for (const url of ['/healthz', '/readyz', '/metrics', '/docs', '/docs/openapi.json'])
      expect((await app.inject({ url })).statusCode, url).toBe(200);
  });

  it('a wrong key, short or long, gets the same answer as any unknown key', async () => {
    app = await buildApi(baseDeps({ anomalies: emptyAnomalies() }));
    const bodies = await Promise.all(
      ['x', READ_KEY.slice(0, -1), READ_KEY + 'x', 'y'.repeat(500)].map(async (k) => {
        const r = await app!.inject({ url: '/v1/anomalies', headers: auth(k) });
        return `${r.statusCode} ${r.body}`;
      }),
    );
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toMatch(/^401 .*unknown API key/);
  });

  it('with no keys configured every route is open', async () => {
    app = await buildApi(baseDeps({ anomalies: emptyAnomalies(), apiKeys: new Map() }));
    expect((await app.inject({ url: '/v1/anomalies' })).statusCode).toBe(200);
    const r = await app.inject({
      method: 'POST',
      url: `/v1/anomalies/${'a'.repeat(32)}/feedback`,
      payload: { verdict: 'true-positive' },
    });
    expect(r.statusCode).toBe(404);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After per key; open routes are not limited', async () => {
    app = await buildApi(baseDeps({ anomalies: emptyAnomalies() }), {
      rateLimit: { max: 2, windowS: 3600 },
    });
    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push((await app.inject({ url: '/v1/anomalies', headers: auth(READ_KEY) })).statusCode);
    expect(codes).toEqual([200, 200, 429]);
    const limited = await app.inject({ url: '/v1/anomalies', headers: auth(READ_KEY) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3500);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(limited.json()).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringMatching(/^too many requests .*retry after \d+ s$/),
      },
    });
    expect((await app.inject({ url: '/v1/anomalies', headers: auth(ADMIN_KEY) })).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
