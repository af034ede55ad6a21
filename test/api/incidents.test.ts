import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../src/store/redis-client.js';
import { useRedis } from '../helpers/redis.js';
import { buildApi } from '../../src/api/index.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { incident, M0 } from '../helpers/incident-fixtures.js';
import { IncidentActions } from '../../src/jobs/incident-actions.js';
import type { IncidentWebhookEvent } from '../../src/webhooks/events.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';

let redis: RedisClient;
let store: IncidentStore;
let app: FastifyInstance;
const sent: IncidentWebhookEvent[] = [];

useRedis((c) => (redis = c));
beforeAll(async () => {
  store = new IncidentStore(redis);
  const incidentActions = new IncidentActions(
    {
      store,
      notify: async (e) => {
        sent.push(e);
        return ['wh_1'];
      },
    },
    { waitMs: 300, pollMs: 20 },
  );
  app = await buildApi(baseDeps({ redis, incidents: store, incidentActions }), { rateLimit: false });
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

describe('POST /v1/incidents/{id}/acknowledge and /resolve', () => {
  const post = async (url: string, body?: unknown, key: string | null = ADMIN_KEY) => {
    const res = await app.inject({
      method: 'POST',
      url,
      headers: key ? auth(key) : {},
      ...(body !== undefined && { payload: body as object }),
    });
    return { status: res.statusCode, body: res.json() };
  };

  it('acknowledges then resolves once each, saying who, and pages each once', async () => {
    sent.length = 0;
    await store.upsert(incident(50, { status: 'open', resolvedAt: undefined }));
    expect((await post('/v1/incidents/inc-t-50/acknowledge', {}, READ_KEY)).status).toBe(403);
    expect((await post('/v1/incidents/inc-t-50/acknowledge', {}, null)).status).toBe(401);
    expect((await post('/v1/incidents/inc-t-99/acknowledge')).status).toBe(404);
    const bad = await post('/v1/incidents/inc-t-50/acknowledge', { who: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/who/);

    const ack = await post('/v1/incidents/inc-t-50/acknowledge', { by: 'alice', note: 'on it' });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({
      status: 'open',
      acknowledgedBy: 'alice',
      acknowledgeNote: 'on it',
      revision: 3,
    });
    expect(Date.parse(ack.body.acknowledgedAt)).toBeGreaterThan(Date.now() - 60_000);
    // Twice is once.
    const again = await post('/v1/incidents/inc-t-50/acknowledge', { by: 'bob' });
    expect(again).toEqual(ack);
    expect((await get('/v1/incidents/inc-t-50')).body).toEqual(ack.body);

    // No body at all: who is the key's digest prefix.
    const res = await post('/v1/incidents/inc-t-50/resolve');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'resolved', resolvedBy: 'manual', revision: 4 });
    expect(res.body.resolvedByName).toMatch(/^key:[0-9a-f]{12}$/);
    expect(await post('/v1/incidents/inc-t-50/resolve')).toEqual(res);
    const late = await post('/v1/incidents/inc-t-50/acknowledge');
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/inc-t-50 is resolved/);
    expect(
      (await get('/v1/incidents?status=resolved')).body.items.map((i: { id: string }) => i.id),
    ).toContain('inc-t-50');
    expect(sent.map((e) => e.id)).toEqual(['incident_inc-t-50_acknowledged', 'incident_inc-t-50_resolved']);
  });

  it('answers 202 when the incident job holds its lock, and the job applies it', async () => {
    sent.length = 0;
    await store.upsert(incident(60, { status: 'open', resolvedAt: undefined }));
    const token = await store.lock(60_000);
    const queued = await post('/v1/incidents/inc-t-60/acknowledge');
    expect(queued.status).toBe(202);
    expect(queued.body.acknowledgedAt).toBeUndefined();
    await store.unlock(token!);
    const done = await post('/v1/incidents/inc-t-60/acknowledge');
    expect(done.status).toBe(200);
    expect(done.body.acknowledgedAt).toBeDefined();
    expect(sent).toHaveLength(1);
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
