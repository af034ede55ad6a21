import { describe, expect, it } from 'vitest';
import { trainEndpoint } from '../../src/jobs/trainer.js';
import { ModelRegistry } from '../../src/registry/redis-registry.js';
import { IncidentStore } from '../../src/store/incidents.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { TraceReservoir } from '../../src/store/reservoir.js';
import { queryTraces } from '../helpers/query-traces.js';
import { useRedis } from '../helpers/redis.js';
import { incident } from '../helpers/incident-fixtures.js';
import { isoFromMicros } from '../../src/trace/iso-time.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

describe('the service trainer', () => {
  it('leaves out the traces inside incidents and says how many it left out', async () => {
    const { many } = queryTraces(3);
    const before = many(300);
    const fault = many(60, 4);
    const after = many(240);
    const reservoir = new TraceReservoir(redis);
    await reservoir.addTraces([...before, ...fault, ...after]);
    // The fault's incident, open, and an old resolved one the trainer no longer looks at.
    const now = after[after.length - 1].start / 1000;
    const incidents = new IncidentStore(redis, { now: () => now });
    await incidents.upsert(
      incident(1, {
        id: 'open',
        status: 'open',
        start: isoFromMicros(fault[0].start),
        end: isoFromMicros(fault[59].start),
      }),
    );
    await incidents.upsert(
      incident(2, {
        id: 'old',
        status: 'resolved',
        start: isoFromMicros(before[0].start),
        end: isoFromMicros(before[99].start),
      }),
    );
    const registry = new ModelRegistry(redis);
    const outcome = await trainEndpoint('web:GET /', {
      reservoir,
      registry,
      minTraces: 100,
      train: { forest: false, autoencoder: false },
      abnormal: () => incidents.windows(now - 20_000),
    });
    expect(outcome.promoted).toBe(true);
    // The open incident reaches to now: it covers the fault and everything after it.
    expect(outcome.dropped).toEqual({ inIncidents: 300, screened: 0 });
    const model = await registry.load('web:GET /', outcome.version!);
    expect(model.manifest.counts.traces).toBe(Math.floor(300 * 0.8));
    model.dispose();
  });
});
