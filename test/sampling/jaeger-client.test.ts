import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/index.js';
import { Aggregates } from '../../src/traffic/minute-buckets.js';
import type { JaegerStrategy } from '../../src/sampling/jaeger.js';
import { samplingOptions } from '../../src/sampling/options.js';
import { SamplingAdvisor } from '../../src/app/sampling.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import { IncidentStore } from '../../src/store/incidents.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { SamplingStateStore } from '../../src/store/sampling-state.js';
import { ModelRegistry } from '../../src/registry/redis-registry.js';
import { useRedis } from '../helpers/redis.js';
import { baseDeps } from '../helpers/api-stubs.js';
import { incident } from '../helpers/incident-fixtures.js';
import { minutesBefore } from './helpers.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

const SAMPLES = 20_000;
const OPS = ['GET /', 'GET /cart', 'GET /other'];
let app: FastifyInstance;
let child: ChildProcessWithoutNullStreams;
let ask: (ops: string[]) => Promise<Record<string, number>>;

/**
 * 90 minutes of the shop's frontend as its tracers sent all of it: 100 traces/s of GET /, 30/s of GET /cart
 * (written in the test: the Redis helper empties the database before each one).
 */
async function seed(): Promise<void> {
  const now = Date.now();
  const agg = new Aggregates();
  for (const b of minutesBefore(now * 1000 + 60e6, 90, () => ({
    'shop:GET /': { traces: 6000, anomalous: 60 },
    'shop:GET /cart': { traces: 1800, anomalous: 18 },
  })))
    agg.mergeBucket(b);
  await new AggregateStore(redis, { retentionS: 3 * 3600 }).merge(agg);
  const longAgo = now - 3 * 3600_000;
  await new SamplingStateStore(redis).swap('shop', '', {
    evaluatedAt: longAgo,
    served: [{ at: longAgo, defaultProbability: 1, operations: {} }],
  });
}

beforeAll(async () => {
  const advisor = new SamplingAdvisor({
    aggregates: new AggregateStore(redis, { retentionS: 3 * 3600 }),
    incidents: new IncidentStore(redis),
    registry: new ModelRegistry(redis),
    states: new SamplingStateStore(redis),
    // Smoothing in seconds rather than minutes, so the test sees a fall through in time.
    options: samplingOptions({ budgetTps: 40, riseS: 1, fallS: 2 }),
    cacheMs: 100,
  });
  app = await buildApi(baseDeps({ sampling: advisor }), { rateLimit: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  // Node itself with tsx as a loader, so that killing it ends the sampler too (no grandchild).
  const entry = fileURLToPath(new URL('./jaeger-client-entry.ts', import.meta.url));
  child = spawn(process.execPath, ['--import', 'tsx', entry, `${url}/api`, 'shop', String(SAMPLES)]);
  child.stderr.on('data', (d) => process.stderr.write(d));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  ask = async (ops) => {
    child.stdin.write(JSON.stringify(ops) + '\n');
    const { value, done } = await lines.next();
    if (done) throw new Error('the sampler process ended');
    return JSON.parse(value) as Record<string, number>;
  };
}, 60_000);

afterAll(async () => {
  child?.kill();
  await app?.close();
});

const served = async (): Promise<JaegerStrategy> =>
  (await app.inject({ url: '/v1/sampling/jaeger?service=shop' })).json();

const probabilityOf = (s: JaegerStrategy, op: string) =>
  s.operationSampling.perOperationStrategies.find((x) => x.operation === op)?.probabilisticSampling
    .samplingRate ?? s.operationSampling.defaultSamplingProbability;

/**
 * Waits until the strategy served stays the same around a measurement of the client's decisions, those
 * decisions match it (within 4.5 standard errors of a binomial share), and `want` holds of it.
 */
async function untilClientFollows(want: (p: (op: string) => number) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const before = await served();
    const kept = await ask(OPS);
    const after = await served();
    const p = (op: string) => probabilityOf(after, op);
    const stable = JSON.stringify(before) === JSON.stringify(after);
    const follows = OPS.every(
      (op) => Math.abs(kept[op] - p(op)) <= 4.5 * Math.sqrt((p(op) * (1 - p(op))) / SAMPLES) + 1e-9,
    );
    if (stable && follows && want(p)) return { p, kept };
    last = `served ${JSON.stringify(OPS.map(p))}, client kept ${JSON.stringify(kept)}`;
    if (Date.now() > deadline) throw new Error(`the client never followed as wanted: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the OpenTelemetry Jaeger remote sampler polling Tracehound', () => {
  it('samples as advised, follows an incident opening on an operation, and its resolution', async () => {
    await seed();
    // Budget 40/s shared evenly: GET /cart keeps 20 of its 30/s, GET / 20 of its 100/s; others 40/130.
    const calm = await untilClientFollows(
      (p) => Math.abs(p('GET /cart') - 2 / 3) < 1e-6 && Math.abs(p('GET /') - 0.2) < 1e-6,
    );
    expect(calm.p('GET /other')).toBeCloseTo(40 / 130, 9);
    expect(calm.kept['GET /cart']).toBeGreaterThan(calm.kept['GET /'] * 2.5);

    const store = new IncidentStore(redis);
    const open = incident(0, {
      id: 'inc-cart',
      status: 'open',
      endpoints: ['shop:GET /cart'],
      resolvedAt: undefined,
      revision: 1,
    });
    await store.upsert(open);
    // All of GET /cart (30/s) first; GET / falls towards the 10/s left, within the hold band of it.
    const during = await untilClientFollows((p) => p('GET /cart') === 1 && p('GET /') <= 0.1 * 1.25);
    expect(during.kept['GET /cart']).toBe(1);

    await store.upsert({ ...open, status: 'resolved', resolvedAt: new Date().toISOString(), revision: 2 });
    // Back towards the calm shares: within the hold band (1.25x) of them once settled.
    const after = await untilClientFollows(
      (p) => p('GET /cart') <= (2 / 3) * 1.25 && p('GET /') >= 0.2 / 1.25,
    );
    expect(after.kept['GET /cart']).toBeLessThan(0.9);
  }, 240_000);
});
