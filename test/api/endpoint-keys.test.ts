import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { TopologySchema } from '../../src/traffic/service-graph.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { endpointKey } from '../../src/trace/endpoint-key.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { raw } from '../helpers/spans.js';
import { useRedis } from '../helpers/redis.js';
import { anomaly, T0, tid } from '../helpers/anomaly-fixtures.js';
import { READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';

// Colons where real names have them: in operations (often) and, once, in a service name.
const ENDPOINTS = [
  { service: 'shop', operation: 'GET /cart:add', callee: 'db:query' },
  { service: 'gateway:8080', operation: 'GET /a:b', callee: 'sql:SELECT' },
];

let redis: RedisClient;
let app: FastifyInstance;
let anomalies: AnomalyStore;
let aggregates: AggregateStore;
useRedis((c) => (redis = c));

beforeAll(async () => {
  anomalies = new AnomalyStore(redis);
  aggregates = new AggregateStore(redis, { retentionS: 3600, now: () => T0 });
  // The registry lists the keys the training job published under (the endpoint keys of its traces).
  const models = {
    list: async () =>
      ENDPOINTS.map((e) => ({
        endpoint: endpointKey(e.service, e.operation),
        status: 'active' as const,
        activeVersion: 1,
        versions: [],
      })),
    retrain: async () => ({ jobId: 'j' }),
    activate: async () => false,
  };
  app = await buildApi(baseDeps({ redis, anomalies, aggregates, traffic: aggregates, models }), {
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

describe('endpoint keys with colons', () => {
  it('round-trip through the stores, the catalog, the anomaly filter and the topology', async () => {
    const start = T0 * 1000; // µs, in the first minute of the window asked for below
    const traces = ENDPOINTS.map((e, n) => {
      const traceId = tid(n);
      return normalizeTrace(traceId, [
        raw({ traceId, spanId: '1', service: e.service, operation: e.operation, kind: 'server', start }),
        raw({
          traceId,
          spanId: '2',
          parentId: '1',
          service: 'db',
          operation: e.callee,
          kind: 'server',
          start,
        }),
      ]);
    });
    await aggregates.record(
      traces,
      traces.map(() => ({ anomalous: true, rootCauses: [] })),
    );
    for (const [n, e] of ENDPOINTS.entries())
      await anomalies.put(anomaly(n, { service: e.service, operation: e.operation }));

    const listed = (await get('/v1/endpoints')).body.items;
    expect(listed).toHaveLength(ENDPOINTS.length);
    for (const e of ENDPOINTS) {
      const key = endpointKey(e.service, e.operation);
      // Anomalies, traffic and the model of an endpoint meet in one entry, under its names as sent.
      expect(listed).toContainEqual({
        endpoint: key,
        service: e.service,
        operation: e.operation,
        anomalies: 1,
        scored: 1,
        anomalous: 1,
        anomalyRate: 1,
        model: { status: 'active', activeVersion: 1 },
      });
      // The key as listed, given back, finds the endpoint's anomalies.
      const found = await get(`/v1/anomalies?endpoint=${encodeURIComponent(key)}`);
      expect(found.status).toBe(200);
      expect(found.body.items.map((a: { operation: string }) => a.operation)).toEqual([e.operation]);
    }
    // A colon in the operation leaves the key as it always was.
    expect(listed.map((e: { endpoint: string }) => e.endpoint)).toContain('shop:GET /cart:add');

    const topo = TopologySchema.parse((await get(`/v1/topology?from=${T0}&to=${T0 + 59_999}`)).body);
    expect(topo.nodes.map((n) => n.service).sort()).toEqual(['db', 'gateway:8080', 'shop']);
    for (const e of ENDPOINTS) {
      const edge = topo.edges.find((x) => x.from === e.service && x.to === 'db')!;
      expect(edge.operations).toMatchObject([{ from: e.operation, to: e.callee, calls: 1 }]);
    }
  });
});
