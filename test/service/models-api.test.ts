import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ModelInfo } from '../../src/api/index.js';
import { runTrainTask } from '../../src/jobs/train-task.js';
import { trainEndpoint } from '../../src/jobs/trainer.js';
import { ModelRegistry } from '../../src/registry/redis-registry.js';
import { modelsApi } from '../../src/app/adapters.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { TraceReservoir } from '../../src/store/reservoir.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps, emptyAnomalies } from '../helpers/api-stubs.js';
import { queryTraces } from '../helpers/query-traces.js';
import { useRedis } from '../helpers/redis.js';

let redis: RedisClient;
let app: FastifyInstance;
useRedis((c) => (redis = c));

const EP = 'web:GET /';
const MIN = 100;

beforeAll(async () => {
  const registry = new ModelRegistry(redis);
  const reservoir = new TraceReservoir(redis);
  const jobs = { retrain: async () => 'job-1' };
  app = await buildApi(
    baseDeps({
      anomalies: emptyAnomalies(),
      models: modelsApi(registry, jobs, { reservoir, minTraces: MIN }),
    }),
    { rateLimit: false },
  );
});
afterAll(async () => {
  await app?.close();
});

const train = () =>
  trainEndpoint(EP, {
    reservoir: new TraceReservoir(redis),
    registry: new ModelRegistry(redis),
    minTraces: MIN,
    train: { forest: false, autoencoder: false },
    // In this thread: the figures, not the thread, are under test here.
    run: runTrainTask,
  });

const models = async (key = READ_KEY): Promise<ModelInfo[]> => {
  const res = await app.inject({ method: 'GET', url: '/v1/models', headers: auth(key) });
  expect(res.statusCode).toBe(200);
  return res.json().items;
};

describe('GET /v1/models over the registry and the training reservoirs', () => {
  it('lists an endpoint that has traffic but no model yet, and says why', async () => {
    const { many } = queryTraces(3);
    await new TraceReservoir(redis).addTraces(many(40));
    expect(await models()).toEqual([
      {
        endpoint: EP,
        status: 'none',
        reason: `40 traces kept for training, ${MIN} needed`,
        reservoir: { kept: 40, seen: 40, needed: MIN },
        versions: [],
      },
    ]);
    // The services' model counts take it as an endpoint without a model.
    const services = await app.inject({ method: 'GET', url: '/v1/services', headers: auth(READ_KEY) });
    expect(services.json().items).toEqual([
      expect.objectContaining({ service: 'web', models: { active: 0, training: 0, inactive: 0, none: 1 } }),
    ]);
  });

  it("keeps each retrain's held-out figures with the version that it judged", async () => {
    const { many } = queryTraces(5);
    await new TraceReservoir(redis).addTraces(many(300));
    const first = await train();
    const second = await train();
    expect([first.version, second.version]).toEqual([1, 2]);

    const [m] = await models();
    expect(m).toMatchObject({ endpoint: EP, reservoir: { kept: 300, seen: 300, needed: MIN } });
    const [v1, v2] = m.versions;
    // 20% of the 300 traces are held out; the first model had nothing to be compared with.
    expect(v1.note).toBe('first model of this endpoint');
    expect(v1.heldOut).toEqual({ traces: 60, flagRate: expect.any(Number), targetFpr: 0.01 });
    expect(v1.heldOut!.flagRate).toBeGreaterThanOrEqual(0);
    expect(v1.heldOut!.flagRate).toBeLessThan(0.2);
    // The second was judged against the first on the same held-out traffic: the note's figures are these.
    const h = v2.heldOut!;
    expect(h.activeFlagRate).toBeDefined();
    expect(h.noise).toBeCloseTo(Math.sqrt((0.01 * 0.99) / 60), 10);
    expect(v2.note).toBe(
      `held-out false-positive error ${Math.abs(h.flagRate - 0.01).toFixed(4)} vs active ` +
        `${Math.abs(h.activeFlagRate! - 0.01).toFixed(4)} (noise ±${h.noise!.toFixed(4)} over 60 traces)`,
    );
    expect(m.activeVersion).toBe(second.promoted ? 2 : 1);
    expect(m.status).toBe('active');
    expect(m.reason).toBeUndefined();

    // Activating the other version (a rollback, or a roll forward) is what the list shows next.
    const other = m.activeVersion === 2 ? 1 : 2;
    const act = await app.inject({
      method: 'POST',
      url: `/v1/models/${encodeURIComponent(EP)}/activate`,
      payload: { version: other },
      headers: auth(ADMIN_KEY),
    });
    expect(act.statusCode).toBe(200);
    expect((await models())[0].activeVersion).toBe(other);
  });
});
