import { beforeEach, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { SessionStore, type SessionEntry } from '../../src/store/sessions.js';
import { keysOf, useRedis } from '../helpers/redis.js';
import { tid, T0 } from '../helpers/anomaly-fixtures.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

/** Trace n of a session: starts n seconds after T0; every third is anomalous. */
function entry(session: string, n: number, over: Partial<SessionEntry['trace']> = {}): SessionEntry {
  const anomalous = n % 3 === 0;
  return {
    session,
    startUs: (T0 + n * 1000) * 1000,
    trace: {
      traceId: tid(n),
      startTime: new Date(T0 + n * 1000).toISOString(),
      service: 'frontend',
      operation: 'GET /cart',
      durationMs: 10 + n,
      score: anomalous ? 0.9 : 0.1,
      anomalous,
      attribute: 'session.id',
      ...(anomalous && {
        rootCause: { service: 'cart', operation: 'Get', kind: 'latency' as const, evidence: `slow ${n}` },
      }),
      ...over,
    },
  };
}

let store: SessionStore;
const now = T0 + 3_600_000;
beforeEach(() => {
  store = new SessionStore(redis, { maxTraces: 5, maxAgeS: 86_400, now: () => now });
});

describe('SessionStore', () => {
  it("lists a session's traces in time order, whatever order they were written in", async () => {
    await store.put([entry('s-1', 4), entry('s-1', 1), entry('s-2', 2)]);
    await store.put([entry('s-1', 3), entry('s-1', 0)]);
    const s = await store.get('s-1');
    expect(s?.items.map((t) => t.traceId)).toEqual([0, 1, 3, 4].map(tid));
    expect(s).toMatchObject({
      id: 's-1',
      traces: 4,
      anomalies: 2,
      firstSeen: new Date(T0).toISOString(),
      lastSeen: new Date(T0 + 4000).toISOString(),
    });
    expect(s?.items[0].rootCause?.evidence).toBe('slow 0');
    expect(s?.items[1].rootCause).toBeUndefined();
    expect(await store.get('s-3')).toBeUndefined();
  });

  it('is idempotent: a retried batch adds nothing, a re-score replaces the trace', async () => {
    const batch = [entry('s-1', 1), entry('s-1', 2), entry('s-2', 5)];
    await store.put(batch);
    const before = await store.get('s-1');
    await store.put(batch);
    expect(await store.get('s-1')).toEqual(before);
    expect((await store.list()).map((s) => [s.id, s.traces])).toEqual([
      ['s-2', 1],
      ['s-1', 2],
    ]);
    // Re-scored as anomalous: still one trace, now counted among the anomalies; and back again.
    await store.put([entry('s-1', 1, { anomalous: true, score: 0.8 })]);
    expect(await store.get('s-1')).toMatchObject({ traces: 2, anomalies: 1 });
    await store.put([entry('s-1', 1)]);
    expect(await store.get('s-1')).toMatchObject({ traces: 2, anomalies: 0 });
  });

  it('keeps the newest traces of a session up to its cap, records and anomaly counts with them', async () => {
    await store.put(Array.from({ length: 8 }, (_, n) => entry('busy', n)));
    await store.put([entry('busy', 9)]);
    const s = await store.get('busy');
    expect(s?.items.map((t) => t.traceId)).toEqual([4, 5, 6, 7, 9].map(tid));
    // Of 4..9 kept, 6 and 9 are anomalous (0 and 3 went with the oldest).
    expect(s?.anomalies).toBe(2);
    expect(await redis.hlen((await keysOf(redis, '*busy*:r'))[0])).toBe(5);
    // Every key of the session expires.
    for (const k of await keysOf(redis, 'th:ses:*busy*')) expect(await redis.ttl(k)).toBeGreaterThan(86_000);
  });

  it('lists sessions by latest activity and finds them by id prefix', async () => {
    await store.put([entry('user-a', 1), entry('user-b', 7), entry('cart-9', 3), entry('user-ab', 5)]);
    // A late trace from earlier in a session does not move it back.
    await store.put([entry('user-b', 0)]);
    expect((await store.list()).map((s) => s.id)).toEqual(['user-b', 'user-ab', 'cart-9', 'user-a']);
    expect((await store.list({ limit: 2 })).map((s) => s.id)).toEqual(['user-b', 'user-ab']);
    expect((await store.list({ q: 'user-a' })).map((s) => s.id)).toEqual(['user-a', 'user-ab']);
    expect((await store.list({ q: 'User' })).map((s) => s.id)).toEqual([]);
    expect((await store.list({ q: 'cart' }))[0]).toMatchObject({ id: 'cart-9', traces: 1, anomalies: 1 });
  });

  it('drops sessions whose latest trace is past retention from the recent index', async () => {
    const old = new SessionStore(redis, { maxAgeS: 60, now: () => T0 + 120_000 });
    await old.put([entry('stale', 1), entry('fresh', 100)]);
    expect((await old.list()).map((s) => s.id)).toEqual(['fresh']);
  });
});
