import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import { SessionStore } from '../../src/store/sessions.js';
import { compactTrace, expandTrace } from '../../src/store/reservoir.js';
import { scoreBatch, type PipelineDeps } from '../../src/jobs/pipeline.js';
import { checkout } from '../helpers/checkout.js';
import { useRedis } from '../helpers/redis.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

describe('scoring workers group traces into sessions', () => {
  it('index every scored trace naming a session, through the queue, once however often retried', async () => {
    const attributes = ['app.session', 'enduser.id'];
    const traces = [1, 2, 3, 4].map((n) => {
      const t = checkout(n, { failed: n === 3 });
      const root = t.spans[t.root];
      if (n < 4) root.attributes['app.session'] = 'web-1';
      return t;
    });
    // What a score job carries: the configured attribute must survive compaction.
    const queued = traces.map((t) => expandTrace(compactTrace(t, attributes)));
    expect(
      expandTrace(compactTrace(traces[0])).spans[traces[0].root].attributes['app.session'],
    ).toBeUndefined();
    const sessions = new SessionStore(redis, { now: () => 1_700_000_100_000 });
    const deps = {
      models: { get: async () => undefined },
      anomalies: new AnomalyStore(redis),
      reservoir: { addTraces: async () => 0, size: async () => 0 },
      minTrainingTraces: 1e9,
      sessions: { store: sessions, attributes },
    } as unknown as PipelineDeps;
    await scoreBatch(queued, deps);
    await scoreBatch(queued, deps);
    const s = await sessions.get('web-1');
    expect(s?.items.map((t) => [t.traceId, t.anomalous])).toEqual([
      [traces[0].traceId, false],
      [traces[1].traceId, false],
      [traces[2].traceId, true],
    ]);
    expect(s).toMatchObject({ traces: 3, anomalies: 1 });
    expect(s?.items[2].rootCause).toMatchObject({ service: 'inventory', kind: 'error' });
    expect(s?.items[2].attribute).toBe('app.session');
    expect((await sessions.list()).map((x) => x.id)).toEqual(['web-1']);
  });
});
