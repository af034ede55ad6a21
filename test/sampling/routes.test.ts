import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildApi } from '../../src/api/index.js';
import { Aggregates } from '../../src/traffic/minute-buckets.js';
import { ModelRegistry } from '../../src/registry/redis-registry.js';
import { samplingOptions } from '../../src/sampling/options.js';
import { TailSamplingConfigSchema, endpointCondition } from '../../src/sampling/tail.js';
import { trainModelSet } from '../../src/scoring/train.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { SamplingAdvisor } from '../../src/app/sampling.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import { IncidentStore } from '../../src/store/incidents.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { SamplingStateStore } from '../../src/store/sampling-state.js';
import { keysOf, useRedis } from '../helpers/redis.js';
import { normalTraffic } from '../helpers/traffic.js';
import { baseDeps } from '../helpers/api-stubs.js';
import { incident } from '../helpers/incident-fixtures.js';
import { minutesBefore } from './helpers.js';
import { publishModel } from '../helpers/models.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

const { traces } = normalTraffic(11, 900);
let model: ModelSet;
let app: FastifyInstance;
const CHECKOUT = 'frontend:POST /checkout';
const HOME = 'frontend:GET /home';

beforeAll(async () => {
  model = await trainModelSet(traces, { seed: 1, autoencoder: false, forest: false, minEndpointTraces: 100 });
  const advisor = new SamplingAdvisor({
    aggregates: new AggregateStore(redis, { retentionS: 3 * 3600 }),
    incidents: new IncidentStore(redis),
    registry: new ModelRegistry(redis),
    states: new SamplingStateStore(redis),
    options: samplingOptions({ budgetTps: 10 }),
    cacheMs: 0,
  });
  // baseDeps configures API keys: the sampling routes must answer without one all the same.
  app = await buildApi(baseDeps({ sampling: advisor }), { rateLimit: false });
}, 120_000);

afterAll(async () => {
  model?.dispose();
  await app?.close();
});

/** An hour of frontend traffic up to now: checkout 10/s (1% errors), home 5/s. */
async function seedTraffic(): Promise<void> {
  const agg = new Aggregates();
  for (const b of minutesBefore(Date.now() * 1000 + 60e6, 70, () => ({
    [CHECKOUT]: { traces: 600, errors: 6 },
    [HOME]: { traces: 300 },
  })))
    agg.mergeBucket(b);
  await new AggregateStore(redis, { retentionS: 3 * 3600 }).merge(agg);
}

describe('GET /api/sampling and /v1/sampling/jaeger', () => {
  it('are open, answer a service never seen with the cold start, and leave nothing behind for it', async () => {
    for (const url of ['/api/sampling?service=nobody', '/v1/sampling/jaeger?service=nobody&other=1']) {
      const r = await app.inject({ url });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({
        strategyType: 'PROBABILISTIC',
        probabilisticSampling: { samplingRate: 0.01 },
        operationSampling: {
          defaultSamplingProbability: 0.01,
          defaultLowerBoundTracesPerSecond: 1 / 60,
          perOperationStrategies: [],
        },
      });
    }
    expect(await keysOf(redis, 'th:sampling:*')).toEqual([]);
  });

  it('keep the state of a service they advise, and say what is wrong with a request', async () => {
    await seedTraffic();
    const r = await app.inject({ url: '/api/sampling?service=frontend' });
    expect(r.statusCode).toBe(200);
    expect(
      r.json().operationSampling.perOperationStrategies.map((s: { operation: string }) => s.operation),
    ).toEqual(['GET /home', 'POST /checkout']);
    expect(await keysOf(redis, 'th:sampling:*')).toEqual(['th:sampling:frontend']);
    const missing = await app.inject({ url: '/api/sampling' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toMatch(/service/);
    const empty = await app.inject({ url: '/api/sampling?service=%20' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toMatch(/name the service/);
  });

  it('are in the OpenAPI document, the tail-sampling one with the schema of its YAML', async () => {
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/sampling', '/v1/sampling/jaeger', '/v1/sampling/otel-tail-sampling']),
    );
    const yaml =
      doc.paths['/v1/sampling/otel-tail-sampling'].get.responses['200'].content['application/yaml'];
    expect(yaml.schema.properties.processors).toBeDefined();
    expect(doc.paths['/api/sampling'].get.security).toEqual([]);
  });
});

describe('GET /v1/sampling/otel-tail-sampling', () => {
  it('keeps errors, the open incidents, traces over each modelled endpoint p99, and a budgeted share of the rest', async () => {
    await seedTraffic();
    await publishModel(redis, [CHECKOUT, HOME], model);
    await new IncidentStore(redis).upsert(
      incident(0, { id: 'inc-home', status: 'open', endpoints: [HOME], resolvedAt: undefined }),
    );

    const r = await app.inject({ url: '/v1/sampling/otel-tail-sampling' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/yaml/);
    const config = TailSamplingConfigSchema.parse(parse(r.body));
    const policies = config.processors.tail_sampling.policies;
    expect(policies.map((p) => p.name)).toEqual(['errors', 'open-incidents', `slow ${CHECKOUT}`, 'rest']);
    expect(policies[0]).toEqual({
      name: 'errors',
      type: 'status_code',
      status_code: { status_codes: ['ERROR'] },
    });
    expect(policies[1]).toMatchObject({ ottl_condition: { span: [endpointCondition(HOME)] } });
    expect(endpointCondition(HOME)).toBe(
      'resource.attributes["service.name"] == "frontend" and name == "GET /home"',
    );

    // The latency threshold is the active model's p99 of the endpoint's root span...
    const slow = policies[2];
    if (slow.type !== 'and') throw new Error(`expected an and policy, got ${slow.type}`);
    const [match, latency] = slow.and.and_sub_policy;
    expect(match.ottl_condition.span).toEqual([endpointCondition(CHECKOUT)]);
    const stats = model.baseline.endpointModel(CHECKOUT)!.paths.get(CHECKOUT)!;
    expect(latency.latency.threshold_ms).toBe(Math.ceil(stats.dur.quantile(0.99) / 1000));
    // ...which is where the training traffic's own 99th percentile lies (the sketch is 5% coarse).
    const roots = traces
      .filter((t) => t.spans[t.root].operation === 'POST /checkout')
      .map((t) => t.spans[t.root].duration)
      .sort((a, b) => a - b);
    const p99 = roots[Math.floor(0.99 * roots.length)] / 1000;
    expect(latency.latency.threshold_ms).toBeGreaterThan(0.85 * p99);
    expect(latency.latency.threshold_ms).toBeLessThan(1.15 * p99 + 1);

    // Budget 10/s over 15/s: the incident's 5/s and checkout's errors are kept anyway, so the rest gets
    // (10 - 5 - 0.1) / (15 - 5 - 0.1) of the traffic left: 49.5% (less what slow checkouts take).
    const rest = policies[3];
    if (rest.type !== 'probabilistic') throw new Error(`expected a probabilistic policy, got ${rest.type}`);
    expect(rest.probabilistic.sampling_percentage).toBeGreaterThan(45);
    expect(rest.probabilistic.sampling_percentage).toBeLessThanOrEqual(49.5);

    // The incident resolved: its endpoint is judged on latency like the others again.
    await new IncidentStore(redis).upsert(
      incident(0, { id: 'inc-home', status: 'resolved', endpoints: [HOME], revision: 3 }),
    );
    const after = TailSamplingConfigSchema.parse(
      parse((await app.inject({ url: '/v1/sampling/otel-tail-sampling' })).body),
    );
    expect(after.processors.tail_sampling.policies.map((p) => p.name)).toEqual([
      'errors',
      `slow ${HOME}`,
      `slow ${CHECKOUT}`,
      'rest',
    ]);
  });
});
