import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { keysOf, useRedis } from '../helpers/redis.js';
import { AnomalyStore, CursorError } from '../../src/store/anomalies.js';
import { NAME_SET, REFS_KEY, dimIndex, globalIndex, recordKey } from '../../src/store/anomaly-keys.js';
import { anomaly, tid, T0 } from './fixtures.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

/** Every sorted set in the store with its members, to check "one entry everywhere". */
async function allIndexMembers(): Promise<Map<string, string[]>> {
  const keys = (await keysOf(redis, 'th:{anom}:*')).filter((k) => /:by-(score|time)$/.test(k));
  const out = new Map<string, string[]>();
  for (const k of keys) out.set(k, await redis.zrange(k, 0, -1));
  return out;
}

async function listAll(store: AnomalyStore, q: Parameters<AnomalyStore['list']>[0]) {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await store.list({ ...q, cursor });
    ids.push(...page.items.map((a) => a.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

describe('AnomalyStore', () => {
  it('put is idempotent: twice is one record and one entry in every index', async () => {
    const store = new AnomalyStore(redis);
    expect((await store.put(anomaly(1))).created).toBe(true);
    const before = await allIndexMembers();
    expect((await store.put(anomaly(1))).created).toBe(false);
    expect(await allIndexMembers()).toEqual(before);
    // global x2, svc x2, ep x2, rc x2
    expect(before.size).toBe(8);
    for (const members of before.values()) expect(members).toHaveLength(1);
    expect((await store.list()).items).toHaveLength(1);
    expect((await store.stats()).total).toBe(1);
  });

  it('concurrent puts of one id leave one entry per index', async () => {
    const store = new AnomalyStore(redis);
    await Promise.all(Array.from({ length: 20 }, (_, k) => store.put(anomaly(1, { score: k / 20 }))));
    for (const [k, members] of await allIndexMembers()) expect(members, k).toHaveLength(1);
  });

  it('a re-score moves index entries, keeps detectedAt and feedback', async () => {
    const store = new AnomalyStore(redis);
    await store.put(anomaly(1, { score: 0.6 }));
    await store.feedback(tid(1), { verdict: 'true-positive', note: 'yes' });
    await store.put(
      anomaly(1, {
        score: 0.95,
        detectedAt: new Date(T0 + 99_000).toISOString(),
        rootCauses: [{ service: 'db', kind: 'error', contribution: 1, evidence: 'db failed.' }],
      }),
    );
    const a = await store.get(tid(1));
    expect(a?.score).toBe(0.95);
    expect(a?.detectedAt).toBe(anomaly(1).detectedAt);
    expect(a?.feedback?.verdict).toBe('true-positive');
    expect(a?.feedback?.note).toBe('yes');
    expect(await redis.zcard(dimIndex('rc', 'payment', 'score'))).toBe(0);
    expect(await redis.zcard(dimIndex('rc', 'db', 'score'))).toBe(1);
    expect(await redis.zrange(globalIndex('score'), 0, -1)).toEqual([`0.9500000000000000|${tid(1)}`]);
  });

  it('ranks by score and by time, newest and highest first', async () => {
    const store = new AnomalyStore(redis);
    const scores = [0.7, 0.99, 0.51, 0.8, 0.99];
    for (let i = 0; i < scores.length; i++) await store.put(anomaly(i, { score: scores[i] }));
    const byScore = (await store.list({ order: 'score' })).items.map((a) => a.score);
    expect(byScore).toEqual([...scores].sort((a, b) => b - a));
    const byTime = (await store.list({ order: 'time' })).items.map((a) => a.id);
    expect(byTime).toEqual([4, 3, 2, 1, 0].map(tid));
  });

  it('applies every filter', async () => {
    const store = new AnomalyStore(redis);
    await store.put(anomaly(1, { service: 'a', operation: 'x', score: 0.9 }));
    await store.put(anomaly(2, { service: 'a', operation: 'y', score: 0.6 }));
    await store.put(
      anomaly(3, {
        service: 'b',
        operation: 'x',
        score: 0.7,
        rootCauses: [{ service: 'db', kind: 'error', contribution: 1, evidence: 'db failed.' }],
      }),
    );
    await store.put(anomaly(4, { service: 'b:c', operation: 'x:y', score: 0.95 }));
    const ids = async (q: Parameters<AnomalyStore['list']>[0]) =>
      (await store.list(q)).items.map((a) => a.id).sort();
    expect(await ids({ service: 'a' })).toEqual([tid(1), tid(2)]);
    expect(await ids({ service: 'a', operation: 'y' })).toEqual([tid(2)]);
    expect(await ids({ endpoint: 'a:x' })).toEqual([tid(1)]);
    expect(await ids({ endpoint: 'b:c:x:y' })).toEqual([]); // split at the first ':'
    expect(await ids({ service: 'b:c', operation: 'x:y' })).toEqual([tid(4)]);
    expect(await ids({ operation: 'x' })).toEqual([tid(1), tid(3)]);
    expect(await ids({ endpoint: 'a:x', service: 'b' })).toEqual([]);
    expect(await ids({ minScore: 0.7 })).toEqual([tid(1), tid(3), tid(4)]);
    expect(await ids({ minScore: 0.7, order: 'time' })).toEqual([tid(1), tid(3), tid(4)]);
    expect(await ids({ rootCauseService: 'db' })).toEqual([tid(3)]);
    expect(await ids({ rootCauseService: 'payment', service: 'a' })).toEqual([tid(1), tid(2)]);
    expect(await ids({ from: T0 + 2000, to: T0 + 3000 })).toEqual([tid(2), tid(3)]);
    expect(await ids({ from: T0 + 2000, to: T0 + 3000, order: 'time' })).toEqual([tid(2), tid(3)]);
    expect(await ids({ from: T0 + 2001, order: 'time' })).toEqual([tid(3), tid(4)]);
  });

  it('paginates 120 items with inserts between pages: no duplicates, no gaps', async () => {
    for (const order of ['score', 'time'] as const) {
      await redis.flushall();
      const store = new AnomalyStore(redis);
      // Many equal scores, so ties must be broken by id.
      for (let i = 0; i < 120; i++) await store.put(anomaly(i, { score: i % 3 === 0 ? 1 : (i % 50) / 100 }));
      const seen: string[] = [];
      let cursor: string | undefined;
      let extra = 1000;
      for (let page = 0; page < 50; page++) {
        const p = await store.list({ order, limit: 7, cursor });
        seen.push(...p.items.map((a) => a.id));
        // Inserts both above and below the cursor: the ones above must not shift later pages.
        await store.put(anomaly(extra++, { score: 1, startTime: new Date(T0 + 10_000_000).toISOString() }));
        await store.put(anomaly(extra++, { score: 0, startTime: new Date(T0 - 10_000_000).toISOString() }));
        if (!p.nextCursor) break;
        cursor = p.nextCursor;
      }
      expect(new Set(seen).size).toBe(seen.length);
      const originals = seen.filter((id) => parseInt(id, 16) < 120);
      expect(originals.sort()).toEqual(Array.from({ length: 120 }, (_, i) => tid(i)).sort());
      // The listing is in order.
      const recs = await Promise.all(seen.map((id) => store.get(id)));
      const key = (a: (typeof recs)[number]) => (order === 'score' ? a!.score : Date.parse(a!.startTime));
      for (let i = 1; i < recs.length; i++) expect(key(recs[i - 1])).toBeGreaterThanOrEqual(key(recs[i]));
    }
  });

  it('pagination with an in-memory filter still covers everything', async () => {
    const store = new AnomalyStore(redis, { maxScan: 10 });
    for (let i = 0; i < 60; i++) await store.put(anomaly(i, { operation: i % 4 === 0 ? 'x' : 'y' }));
    const ids = await listAll(store, { operation: 'x', limit: 4 });
    expect(ids.sort()).toEqual(Array.from({ length: 15 }, (_, i) => tid(i * 4)).sort());
  });

  it('rejects a cursor of another order or a forged one', async () => {
    const store = new AnomalyStore(redis);
    for (let i = 0; i < 3; i++) await store.put(anomaly(i));
    const p = await store.list({ limit: 1 });
    expect(p.nextCursor).toBeDefined();
    await expect(store.list({ order: 'time', cursor: p.nextCursor })).rejects.toThrow(/order=score/);
    await expect(store.list({ cursor: 'not a cursor' })).rejects.toBeInstanceOf(CursorError);
  });

  it('feedback records the verdict; unknown id gives undefined', async () => {
    const store = new AnomalyStore(redis, { now: () => T0 });
    await store.put(anomaly(1));
    const a = await store.feedback(tid(1), { verdict: 'false-positive' });
    expect(a?.feedback).toEqual({ verdict: 'false-positive', at: new Date(T0).toISOString() });
    expect((await store.get(tid(1)))?.feedback?.verdict).toBe('false-positive');
    expect(await store.feedback(tid(2), { verdict: 'true-positive' })).toBeUndefined();
  });

  it('stores records with a TTL backstop', async () => {
    const store = new AnomalyStore(redis, { maxAgeS: 3600 });
    await store.put(anomaly(1));
    const ttl = await redis.ttl(recordKey(tid(1)));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('prunes by age and by count, removing every index entry', async () => {
    const store = new AnomalyStore(redis, { now: () => T0 + 100_000 });
    for (let i = 0; i < 50; i++)
      await store.put(anomaly(i, { service: i < 10 ? 'old' : 'new', rootCauses: [] }));
    // Age 60 s at T0+100 s: traces starting before T0+40 s go (ids 0..39).
    const res = await store.prune({ maxAgeS: 60, maxCount: 5 });
    expect(res).toEqual({ byAge: 40, byCount: 5 });
    const left = await listAll(store, { order: 'time' });
    expect(left).toEqual([49, 48, 47, 46, 45].map(tid));
    for (const [k, members] of await allIndexMembers())
      expect(members, k).toHaveLength(k.includes(':old:') ? 0 : 5);
    expect(await redis.exists(recordKey(tid(0)))).toBe(0);
    expect(await redis.hlen(REFS_KEY)).toBe(5);
    const stats = await store.stats();
    expect(stats.services).toEqual([{ service: 'new', count: 5 }]);
    expect(await redis.smembers(NAME_SET.svc)).toEqual(['new']);
  });

  it('prune removes index entries of a record that expired by TTL', async () => {
    const store = new AnomalyStore(redis, { now: () => T0 + 100_000 });
    await store.put(anomaly(1));
    await redis.del(recordKey(tid(1))); // as the TTL would
    expect((await store.list()).items).toEqual([]);
    await store.prune({ maxAgeS: 1, maxCount: 100 });
    expect([...(await allIndexMembers()).values()].flat()).toEqual([]);
  });

  it('stats and traffic count per service and endpoint', async () => {
    const store = new AnomalyStore(redis);
    await store.put(anomaly(1, { service: 'a', operation: 'x' }));
    await store.put(anomaly(2, { service: 'a', operation: 'y' }));
    await store.put(anomaly(3, { service: 'b', operation: 'x' }));
    const s = await store.stats();
    expect(s.total).toBe(3);
    expect(s.services).toEqual([
      { service: 'a', count: 2 },
      { service: 'b', count: 1 },
    ]);
    expect(s.endpoints.map((e) => `${e.service}:${e.operation}=${e.count}`).sort()).toEqual([
      'a:x=1',
      'a:y=1',
      'b:x=1',
    ]);
    expect(s.rootCauseServices).toEqual([{ service: 'payment', count: 3 }]);
    await store.noteScored([
      { service: 'a', operation: 'x', anomalous: true },
      { service: 'a', operation: 'x', anomalous: false },
      { service: 'a', operation: 'x', anomalous: false },
    ]);
    expect(await store.traffic()).toEqual([{ service: 'a', operation: 'x', scored: 3, anomalous: 1 }]);
  });

  it('refuses invalid records and ids', async () => {
    const store = new AnomalyStore(redis);
    await expect(store.put({ ...anomaly(1), score: 2 })).rejects.toThrow(/score/);
    await expect(store.put({ ...anomaly(1), id: 'refs' })).rejects.toThrow(/not valid/);
    expect(await redis.dbsize()).toBe(0);
  });
});
