import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import { scoreBatch, type PipelineDeps } from '../../src/jobs/pipeline.js';
import { trainModelSet } from '../../src/scoring/train.js';
import { topCauses } from '../../src/explain/index.js';
import { normalTraffic } from '../helpers/traffic.js';
import { useRedis } from '../helpers/redis.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

describe('scoring workers keep every candidate cause of an anomaly', () => {
  it('store the top ones as rootCauses and the rest for explain=all', async () => {
    const { traffic, traces } = normalTraffic(3, 300);
    const model = await trainModelSet(traces, { seed: 1, forest: false, autoencoder: false });
    // Mild faults together: a main cause and slivers under 2%.
    const faulty = [
      traffic.checkout({ slowLeaf: 5, slowRoot: 1.5, cartGapUs: 2000 }),
      traffic.checkout({ slowLeaf: 20, slowRoot: 1.5, cartGapUs: 1000 }),
      traffic.checkout({ slowLeaf: 5, slowRoot: 3, cartGapUs: 1000, unseenCall: true }),
    ];
    const anomalies = new AnomalyStore(redis);
    const deps = {
      models: { get: async () => model },
      anomalies,
      reservoir: { addTraces: async () => 0, size: async () => 0 },
      minTrainingTraces: 1e9,
    } as unknown as PipelineDeps;
    const r = await scoreBatch(faulty, deps);
    expect(r.anomalies).toBe(faulty.length);
    let longer = 0;
    for (const expected of model.score(faulty, { causes: 'all' })) {
      const top = await anomalies.get(expected.traceId);
      const all = await anomalies.get(expected.traceId, 'all');
      expect(top?.rootCauses).toEqual(topCauses(expected.rootCauses));
      expect(all?.rootCauses).toEqual(expected.rootCauses);
      if (expected.rootCauses.length > (top?.rootCauses.length ?? 0)) longer++;
    }
    expect(longer).toBeGreaterThan(0);
    model.dispose();
  });
});
