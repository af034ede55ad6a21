import { ModelRegistry } from '../../src/registry/redis-registry.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { trainModelSet } from '../../src/scoring/train.js';
import { generate, scenarioEndpoints } from '../../src/sim/index.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { normalizeTrace } from '../../src/trace/normalize.js';

/** One model of the shop's normal traffic (no autoencoder: scores are then bit-for-bit reproducible). */
export async function trainShopModel(): Promise<ModelSet> {
  const normal = generate('shop-normal', { seed: 5, durationS: 240 });
  return trainModelSet(
    normal.traces.map((s) => normalizeTrace(s[0].traceId, s)),
    { seed: 1, autoencoder: false },
  );
}

/** The endpoints of the shop's normal traffic: those trainShopModel's model knows. */
export function shopEndpoints(): string[] {
  return scenarioEndpoints('shop-normal', { seed: 5, durationS: 60 });
}

/** Publishes `model` as a new version of each endpoint's model and makes it the active one. */
export async function publishModel(
  redis: RedisClient,
  endpoints: Iterable<string>,
  model: ModelSet,
): Promise<void> {
  const registry = new ModelRegistry(redis);
  for (const ep of endpoints) await registry.activate(ep, await registry.publish(ep, model));
}

/** The shop's normal model, trained and active for each of its endpoints. */
export async function activateShopModel(redis: RedisClient): Promise<void> {
  const model = await trainShopModel();
  try {
    await publishModel(redis, shopEndpoints(), model);
  } finally {
    model.dispose();
  }
}
