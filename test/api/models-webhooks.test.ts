import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import {
  buildApi,
  type ModelInfo,
  type ModelsApi,
  type WebhookDelivery,
  type WebhooksApi,
} from '../../src/api/index.js';
import { WebhookStore } from '../../src/webhooks/store.js';
import { ADMIN_KEY, READ_KEY, auth } from '../helpers/api-stubs.js';
import { baseDeps } from '../helpers/api-stubs.js';

let r: TestRedis;
let redis: Redis;
let app: FastifyInstance;
const retrains: { endpoints?: string[] }[] = [];
const tested: string[] = [];
const models: ModelInfo[] = [
  {
    endpoint: 'frontend:GET /cart',
    activeVersion: 2,
    status: 'active',
    versions: [
      { version: 1, createdAt: '2025-01-01T00:00:00.000Z', active: false },
      { version: 2, createdAt: '2025-01-02T00:00:00.000Z', active: true, traces: 5000 },
    ],
  },
];

beforeAll(async () => {
  r = await startRedis({ appendonly: false });
  redis = new Redis(r.url);
  // Public addresses only, as the real guard wants; the resolver is faked so no DNS is needed.
  const store = new WebhookStore(redis, { resolve: async () => [{ address: '93.184.216.34', family: 4 }] });
  const webhooks: WebhooksApi = {
    list: () => store.list(),
    create: (input) => store.create(input),
    delete: (id) => store.delete(id),
    test: async (id): Promise<WebhookDelivery | undefined> => {
      if (!(await store.get(id))) return undefined;
      tested.push(id);
      return { at: '2025-01-01T00:00:00.000Z', event: 'webhook.test', status: 'delivered', httpStatus: 200 };
    },
    deliveries: async (id, limit) =>
      (await store.get(id))
        ? tested
            .filter((t) => t === id)
            .slice(0, limit)
            .map(() => ({ at: 'x', status: 'delivered' }))
        : undefined,
  };
  const modelsApi: ModelsApi = {
    list: async () => models,
    retrain: async (req) => {
      retrains.push(req);
      return { jobId: `retrain-${retrains.length}`, endpoints: req.endpoints };
    },
    activate: async (endpoint, version) => {
      const m = models.find((x) => x.endpoint === endpoint);
      const v = m?.versions.find((x) => x.version === version);
      if (!m || !v) return false;
      for (const x of m.versions) x.active = x === v;
      m.activeVersion = version;
      return true;
    },
  };
  app = await buildApi(baseDeps({ webhooks, models: modelsApi }), { rateLimit: false });
});
afterAll(async () => {
  await app.close();
  redis.disconnect();
  await r.close();
});

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, key = ADMIN_KEY) =>
  app.inject({ method, url, payload, headers: auth(key) });

describe('webhook routes', () => {
  it('create, list (secret redacted), test, deliveries, delete', async () => {
    const created = await call('POST', '/v1/webhooks', {
      url: 'https://hooks.example.com/th',
      secret: 'whsec_abcdefghijklmnop',
      minScore: 0.9,
      events: ['anomaly.detected', 'incident.opened'],
      anomalies: { mode: 'each', maxPerMinute: 20 },
    });
    expect(created.statusCode).toBe(201);
    const w = created.json();
    expect(w.anomalies).toEqual({ mode: 'each', maxPerMinute: 20 });
    expect(w.secret).not.toContain('abcdefghijklmnop');
    const list = await call('GET', '/v1/webhooks', undefined, READ_KEY);
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([w.id]);
    expect(JSON.stringify(list.json())).not.toContain('abcdefghijklmnop');

    expect((await call('POST', `/v1/webhooks/${w.id}/test`)).json()).toMatchObject({ status: 'delivered' });
    expect(
      (await call('GET', `/v1/webhooks/${w.id}/deliveries?limit=5`, undefined, READ_KEY)).json().items,
    ).toHaveLength(1);
    expect((await call('POST', '/v1/webhooks/wh_nope/test')).statusCode).toBe(404);
    expect((await call('GET', '/v1/webhooks/wh_nope/deliveries')).statusCode).toBe(404);

    expect((await call('DELETE', `/v1/webhooks/${w.id}`)).statusCode).toBe(204);
    expect((await call('DELETE', `/v1/webhooks/${w.id}`)).statusCode).toBe(404);
    expect((await call('GET', '/v1/webhooks')).json().items).toEqual([]);
  });

  it('validates webhook bodies with the webhooks schema, naming the field', async () => {
    const noUrl = await call('POST', '/v1/webhooks', { format: 'json' });
    expect(noUrl.statusCode).toBe(400);
    expect(noUrl.json().error.message).toMatch(/body field url/);
    const pd = await call('POST', '/v1/webhooks', { url: 'https://x.example.com', format: 'pagerduty' });
    expect(pd.statusCode).toBe(400);
    expect(pd.json().error.message).toMatch(/body field secret: format pagerduty needs secret/);
    const am = await call('POST', '/v1/webhooks', {
      url: 'https://x.example.com',
      format: 'alertmanager',
      events: ['anomaly.detected'],
    });
    expect(am.statusCode).toBe(400);
    expect(am.json().error.message).toMatch(/body field events: anomaly.detected is sent to json and slack/);
    const each = await call('POST', '/v1/webhooks', {
      url: 'https://x.example.com',
      events: ['anomaly.detected'],
      anomalies: { mode: 'each', maxPerMinute: 5000 },
    });
    expect(each.statusCode).toBe(400);
    expect(each.json().error.message).toMatch(/body field anomalies\.maxPerMinute/);
    expect((await call('POST', '/v1/webhooks', { url: 'https://x.example.com' }, READ_KEY)).statusCode).toBe(
      403,
    );
  });
});

describe('model routes', () => {
  it('lists, queues a retrain, activates a kept version, 404 for an unknown one', async () => {
    expect((await call('GET', '/v1/models', undefined, READ_KEY)).json().items[0].activeVersion).toBe(2);
    const rt = await call('POST', '/v1/models/retrain', { endpoints: ['frontend:GET /cart'] });
    expect(rt.statusCode).toBe(202);
    expect(rt.json()).toEqual({ jobId: 'retrain-1', endpoints: ['frontend:GET /cart'] });
    expect((await call('POST', '/v1/models/retrain', {})).statusCode).toBe(202);
    expect(retrains).toEqual([{ endpoints: ['frontend:GET /cart'] }, { endpoints: undefined }]);
    const bad = await call('POST', '/v1/models/retrain', { endpoints: ['nocolon'] });
    expect(bad.json().error.message).toMatch(/body field endpoints\.0: expected service:operation/);

    const ep = encodeURIComponent('frontend:GET /cart');
    const act = await call('POST', `/v1/models/${ep}/activate`, { version: 1 });
    expect(act.statusCode).toBe(200);
    expect(act.json().items[0].activeVersion).toBe(1);
    expect((await call('POST', `/v1/models/${ep}/activate`, { version: 9 })).statusCode).toBe(404);
    const v = await call('POST', `/v1/models/${ep}/activate`, { version: 'latest' });
    expect(v.json().error.message).toMatch(/body field version/);
  });
});
