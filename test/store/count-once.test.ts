import { describe, expect, it } from 'vitest';
import { scoreBatch, type PipelineDeps } from '../../src/jobs/pipeline.js';
import { trainModelSet } from '../../src/scoring/train.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import { EvidenceStore } from '../../src/store/incident-evidence.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { queryTraces } from '../helpers/query-traces.js';
import { useRedis } from '../helpers/redis.js';
import { rounded } from '../helpers/rounded.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

describe('a trace scored again counts once', () => {
  it('in the aggregates, the traffic counts and the incident evidence, whatever the batches', async () => {
    const { many } = queryTraces(5);
    const model: ModelSet = await trainModelSet(many(600), { forest: false, autoencoder: false });
    // Two minutes of traffic, a slow stretch in the middle.
    const traces = [...many(500), ...many(100, 4), ...many(600)];
    const now = () => traces[0].start / 1000;
    const aggregates = new AggregateStore(redis, { retentionS: 3600, now });
    const evidence = new EvidenceStore(redis);
    const deps = {
      models: { get: async () => model },
      anomalies: { put: async (a: unknown) => ({ record: a, created: true }) },
      reservoir: { addTraces: async () => {}, size: async () => 0 },
      minTrainingTraces: 1e9,
      aggregates,
      evidence,
    } as unknown as PipelineDeps;
    const window = [traces[0].start - 60e6, traces[traces.length - 1].start + 60e6] as const;
    const snapshot = async () => ({
      aggregates: (await aggregates.load(...window)).toJSON(),
      traffic: await aggregates.traffic(),
      evidence: [...(await evidence.range(window[0] - (window[0] % 60e6), window[1]))].map(([m, e]) => ({
        m,
        e: e.evidence.toJSON(),
        a: e.anomalies.map((x) => x.traceId).sort(),
      })),
    });

    const third = Math.floor(traces.length / 3);
    await scoreBatch(traces.slice(0, 2 * third), deps);
    await scoreBatch(traces.slice(2 * third), deps);
    const once = await snapshot();
    const scored = once.traffic.reduce((n, t) => n + t.scored, 0);
    const anomalous = once.traffic.reduce((n, t) => n + t.anomalous, 0);
    expect(scored).toBe(traces.length);
    expect(anomalous).toBeGreaterThan(10);
    expect(once.evidence.reduce((n, m) => n + m.a.length, 0)).toBe(anomalous);
    expect(once.evidence.length).toBeGreaterThanOrEqual(1);
    expect(once.evidence.reduce((n, m) => n + m.e.traces, 0)).toBe(traces.length);

    // A job retried whole, then the same traces in batches composed differently, two of them at once.
    await scoreBatch(traces.slice(0, 2 * third), deps);
    await Promise.all([
      scoreBatch(traces.slice(third, 3 * third), deps),
      scoreBatch([...traces.slice(0, third / 2), ...traces.slice(2 * third, 2 * third + 20)], deps),
    ]);
    expect(rounded(await snapshot())).toEqual(rounded(once));
  }, 30_000);
});
