import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { QualityReportSchema } from '../../src/incidents/quality.js';
import { TopologySchema } from '../../src/incidents/topology.js';
import { generate } from '../../src/sim/generate.js';
import { getScenario } from '../../src/sim/scenarios.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { useRedis } from '../helpers/redis.js';
import { READ_KEY, auth, baseDeps } from './stubs.js';

let redis: RedisClient;
let app: FastifyInstance;
let store: AggregateStore;
useRedis((c) => (redis = c));

// Two minutes of the simulated shop, with cartservice's GetCart failing from 30 s on.
const errors = getScenario('shop-errors');
const g = generate(
  { ...errors, faults: errors.faults.map((f) => ({ ...f, startS: 30, endS: 120 })) },
  { seed: 8, durationS: 120 },
);
const traces = g.traces.map((s) => normalizeTrace(s[0].traceId, s));
const iso = (us: number) => new Date(us / 1000).toISOString();
const T0 = g.truth.start;

beforeAll(async () => {
  store = new AggregateStore(redis, { retentionS: 3600, now: () => T0 / 1000 });
  app = await buildApi(baseDeps({ redis, aggregates: store }), { rateLimit: false });
});
afterAll(async () => {
  await app.close();
});

const get = async (url: string, key: string | null = READ_KEY) => {
  const res = await app.inject({ url, headers: key ? auth(key) : {} });
  return { status: res.statusCode, body: res.json() };
};

describe('GET /v1/topology and /v1/quality', () => {
  it('serve the window asked for, from what the pipeline recorded', async () => {
    await store.record(
      traces,
      traces.map((t) => ({ anomalous: t.spans.some((s) => s.error), rootCauses: [] })),
    );
    const all = await get(`/v1/topology?from=${iso(T0)}&to=${iso(T0 + 119e6)}`);
    expect(all.status).toBe(200);
    const topo = TopologySchema.parse(all.body);
    expect(topo.minutes).toBe(2);
    const cart = topo.edges.find((e) => e.from === 'frontend' && e.to === 'cartservice')!;
    expect(cart.calls).toBeGreaterThan(100);
    expect(cart.errorRate).toBeGreaterThan(0.05);
    expect(cart.callsPerMin).toBeCloseTo(cart.calls / 2, 6);
    expect(topo.nodes.find((n) => n.service === 'cartservice')!.anomalous).toBeGreaterThan(0);

    // Only the first minute, given as epoch milliseconds: fewer calls, and the fault had barely begun.
    const first = TopologySchema.parse(
      (await get(`/v1/topology?from=${T0 / 1000}&to=${T0 / 1000 + 59_999}`)).body,
    );
    expect(first.minutes).toBe(1);
    const cart1 = first.edges.find((e) => e.from === 'frontend' && e.to === 'cartservice')!;
    expect(cart1.calls).toBeLessThan(cart.calls);
    expect(cart1.errorRate).toBeLessThan(cart.errorRate);

    const q = await get(`/v1/quality?from=${iso(T0)}&to=${iso(T0 + 119e6)}`);
    expect(q.status).toBe(200);
    const report = QualityReportSchema.parse(q.body);
    const spans = report.services.reduce((n, s) => n + s.spans, 0);
    expect(spans).toBe(traces.reduce((n, t) => n + t.spans.length, 0));
    expect(report.services.find((s) => s.service === 'frontend')!.completeness).toBeGreaterThan(0.5);
  });

  it('answers an empty window with an empty topology', async () => {
    const r = await get(`/v1/topology?from=${iso(T0 - 3600e6)}&to=${iso(T0 - 3000e6)}`);
    expect(r.status).toBe(200);
    expect(r.body.nodes).toEqual([]);
    expect(r.body.edges).toEqual([]);
  });

  it('refuses bad windows and anonymous callers with a message that says what is wrong', async () => {
    const backwards = await get(`/v1/topology?from=${iso(T0 + 60e6)}&to=${iso(T0)}`);
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.message).toMatch(/from must not be after to/);
    const wide = await get(`/v1/quality?from=${iso(T0 - 8 * 86400e6)}&to=${iso(T0)}`);
    expect(wide.status).toBe(400);
    expect(wide.body.error.message).toMatch(/at most 10080/);
    const bad = await get('/v1/topology?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/from.*ISO 8601/);
    expect((await get('/v1/topology', null)).status).toBe(401);
  });

  it('are documented in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/topology', '/v1/quality']));
  });
});
