import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { QualityReportSchema } from '../../src/traffic/quality.js';
import { TopologySchema } from '../../src/traffic/service-graph.js';
import { AnomalyRateSchema } from '../../src/traffic/anomaly-rate.js';
import { endpointKeyOf } from '../../src/trace/endpoint-key.js';
import { generate } from '../../src/sim/generate.js';
import { getScenario } from '../../src/sim/scenarios.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { useRedis } from '../helpers/redis.js';
import { READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';
import { isoFromMicros } from '../../src/trace/iso-time.js';

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
    const all = await get(`/v1/topology?from=${isoFromMicros(T0)}&to=${isoFromMicros(T0 + 119e6)}`);
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

    const q = await get(`/v1/quality?from=${isoFromMicros(T0)}&to=${isoFromMicros(T0 + 119e6)}`);
    expect(q.status).toBe(200);
    const report = QualityReportSchema.parse(q.body);
    const spans = report.services.reduce((n, s) => n + s.spans, 0);
    expect(spans).toBe(traces.reduce((n, t) => n + t.spans.length, 0));
    expect(report.services.find((s) => s.service === 'frontend')!.completeness).toBeGreaterThan(0.5);
  });

  it('answers an empty window with an empty topology', async () => {
    const r = await get(`/v1/topology?from=${isoFromMicros(T0 - 3600e6)}&to=${isoFromMicros(T0 - 3000e6)}`);
    expect(r.status).toBe(200);
    expect(r.body.nodes).toEqual([]);
    expect(r.body.edges).toEqual([]);
  });

  it('refuses bad windows and anonymous callers with a message that says what is wrong', async () => {
    const backwards = await get(`/v1/topology?from=${isoFromMicros(T0 + 60e6)}&to=${isoFromMicros(T0)}`);
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.message).toMatch(/from must not be after to/);
    const wide = await get(`/v1/quality?from=${isoFromMicros(T0 - 8 * 86400e6)}&to=${isoFromMicros(T0)}`);
    expect(wide.status).toBe(400);
    expect(wide.body.error.message).toMatch(/at most 10080/);
    const bad = await get('/v1/topology?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/from.*ISO 8601/);
    expect((await get('/v1/topology', null)).status).toBe(401);
  });

  it('are documented in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/topology', '/v1/quality', '/v1/anomaly-rate']),
    );
  });
});

describe('GET /v1/anomaly-rate', () => {
  it('gives traces and anomalous traces per minute for the endpoints with the most anomalies', async () => {
    const flagged = traces.map((t) => t.spans.some((s) => s.error));
    await store.record(
      traces,
      flagged.map((anomalous) => ({ anomalous, rootCauses: [] })),
    );
    // What the answer must hold, counted from the traces themselves.
    const want = new Map<string, { traces: number[]; anomalous: number[] }>();
    traces.forEach((t, i) => {
      const ep = endpointKeyOf(t);
      const m = Math.floor((t.start - T0) / 60e6);
      const w = want.get(ep) ?? { traces: [0, 0], anomalous: [0, 0] };
      w.traces[m]++;
      if (flagged[i]) w.anomalous[m]++;
      want.set(ep, w);
    });
    const byAnomalies = [...want].sort(
      (a, b) =>
        b[1].anomalous[0] + b[1].anomalous[1] - a[1].anomalous[0] - a[1].anomalous[1] ||
        b[1].traces[0] + b[1].traces[1] - a[1].traces[0] - a[1].traces[1],
    );
    const r = await get(`/v1/anomaly-rate?from=${isoFromMicros(T0)}&to=${isoFromMicros(T0 + 119e6)}&limit=3`);
    expect(r.status).toBe(200);
    const rate = AnomalyRateSchema.parse(r.body);
    expect(rate.stepS).toBe(60);
    expect(rate.times).toEqual([isoFromMicros(T0 - (T0 % 60e6)), isoFromMicros(T0 - (T0 % 60e6) + 60e6)]);
    expect(rate.series.map((s) => s.endpoint)).toEqual(byAnomalies.slice(0, 3).map(([ep]) => ep));
    const top = rate.series[0];
    expect(top.anomalous.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect({ traces: top.traces, anomalous: top.anomalous }).toEqual(want.get(top.endpoint));

    const one = AnomalyRateSchema.parse(
      (
        await get(
          `/v1/anomaly-rate?from=${isoFromMicros(T0)}&to=${isoFromMicros(T0 + 119e6)}&endpoint=${encodeURIComponent(byAnomalies[4][0])}`,
        )
      ).body,
    );
    expect(one.series.map((s) => s.endpoint)).toEqual([byAnomalies[4][0]]);

    // A week takes 28 minutes a point: 360 points, never one per minute.
    const week = AnomalyRateSchema.parse(
      (
        await get(
          `/v1/anomaly-rate?from=${isoFromMicros(T0 + 119e6 - 7 * 86400e6 + 60e6)}&to=${isoFromMicros(T0 + 119e6)}`,
        )
      ).body,
    );
    expect(week.stepS).toBe(28 * 60);
    expect(week.times.length).toBeLessThanOrEqual(360);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(week.series[0].traces)).toBe(sum(rate.series[0].traces));
    expect((await get('/v1/anomaly-rate?limit=50')).status).toBe(400);
  });
});
