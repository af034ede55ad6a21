import { describe, expect, it } from 'vitest';
import { Aggregates } from '../../src/traffic/minute-buckets.js';
import { AggregateStore, aggregateKey } from '../../src/store/aggregates.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { generate } from '../../src/sim/generate.js';
import { getScenario } from '../../src/sim/scenarios.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { Trace } from '../../src/trace/trace.js';
import { useRedis } from '../helpers/redis.js';
import { scoreBatch, type PipelineDeps } from '../../src/jobs/pipeline.js';
import { errorOnly } from '../../src/scoring/error-only.js';
import { sumTargets } from '../../src/traffic/minute-buckets.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

/** The simulated shop with cartservice's GetCart failing from `faultS` on. */
function shop(seed: number, durationS: number, faultS = 200): Trace[] {
  const sc = getScenario('shop-errors');
  const g = generate(
    { ...sc, faults: sc.faults.map((f) => ({ ...f, startS: faultS, endS: faultS + 600 })) },
    { seed, durationS },
  );
  return g.traces.map((s) => normalizeTrace(s[0].traceId, s));
}

/** Every 7th trace anomalous, blamed on its root's service. */
const verdicts = (ts: Trace[]) =>
  ts.map((t, i) => ({
    anomalous: i % 7 === 0,
    rootCauses: [{ service: t.spans[t.root].service, kind: 'error' as const, contribution: 1, evidence: '' }],
  }));

describe('AggregateStore', () => {
  it('merges batches from concurrent writers into what one in-memory pass gives', async () => {
    const traces = shop(4, 150);
    const v = verdicts(traces);
    const now = () => traces[0].start / 1000;
    const store = new AggregateStore(redis, { retentionS: 3600, now });
    // Interleaved batches written at once: the Lua merge must be atomic per minute.
    const batches: Promise<unknown>[] = [];
    for (let i = 0; i < traces.length; i += 97)
      batches.push(store.record(traces.slice(i, i + 97), v.slice(i, i + 97)));
    await Promise.all(batches);
    const whole = new Aggregates();
    whole.addBatch(traces, v);
    const window = [traces[0].start - 60e6, traces[traces.length - 1].start + 60e6] as const;
    const loaded = await store.load(...window);
    expect(loaded.size).toBeGreaterThanOrEqual(3);
    expect(loaded.toJSON()).toEqual(whole.toJSON());
    // A retried batch, and one composed differently of traces counted already, add nothing.
    await store.record(traces.slice(0, 97), v.slice(0, 97));
    await store.record(traces.slice(50, 150), v.slice(50, 150));
    expect((await store.load(...window)).toJSON()).toEqual(whole.toJSON());
    // A trace not counted before still counts, also beside counted ones.
    const late = shop(7, 10)[0];
    await store.record([traces[0], late]);
    expect((await store.load(...window)).toJSON()).not.toEqual(whole.toJSON());
    whole.add(late);
    const wide = [Math.min(window[0], late.start - 60e6), Math.max(window[1], late.start + 60e6)] as const;
    expect((await store.load(...wide)).toJSON()).toEqual(whole.toJSON());
  });

  it('expires a minute at its end plus retention, and drops minutes already past it', async () => {
    const traces = shop(5, 30);
    const minute = Math.floor(traces[0].start / 60e6) * 60e6;
    const store = new AggregateStore(redis, { retentionS: 600, now: () => minute / 1000 + 120_000 });
    await store.record(traces);
    const ttl = await redis.ttl(aggregateKey(minute));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600 + 60);
    const late = new AggregateStore(redis, { retentionS: 600, now: () => minute / 1000 + 3_600_000 });
    await redis.del(aggregateKey(minute));
    await late.record(traces);
    expect(await redis.exists(aggregateKey(minute))).toBe(0);
  });

  it('refuses windows wider than its limit, and names the key of a corrupt minute', async () => {
    const store = new AggregateStore(redis, { retentionS: 600, maxMinutes: 10 });
    await expect(store.buckets(0, 60e6 * 20)).rejects.toThrow(/21 minutes; at most 10/);
    await redis.hset(aggregateKey(120e6), 'ep:a:b', '[1,2]');
    await expect(store.buckets(0, 60e6 * 5)).rejects.toThrow(/redis key th:\{agg\}:min:2, field "ep:a:b"/);
  });

  it('is fed by the scoring pipeline with every scored trace and its verdict', async () => {
    const traces = shop(6, 60, 0);
    const store = new AggregateStore(redis, { retentionS: 3600, now: () => traces[0].start / 1000 });
    // No models: every endpoint gets the error-span verdict, as the service gives before training.
    const deps = {
      models: { get: async () => undefined },
      anomalies: { put: async (a: unknown) => ({ record: a, created: true }) },
      reservoir: { addTraces: async () => {}, size: async () => 0 },
      minTrainingTraces: 1e9,
      aggregates: store,
    } as unknown as PipelineDeps;
    await scoreBatch(traces, deps);
    await scoreBatch(traces, deps); // a retried batch
    const agg = await store.load(traces[0].start - 60e6, traces[traces.length - 1].start + 60e6);
    const eps = [...sumTargets(agg.buckets(), 'endpoint').values()];
    expect(eps.reduce((n, s) => n + s.traces, 0)).toBe(traces.length);
    const failing = traces.filter((t) => errorOnly(t).anomalous).length;
    expect(failing).toBeGreaterThan(0);
    expect(eps.reduce((n, s) => n + s.anomalous, 0)).toBe(failing);
  });
});
