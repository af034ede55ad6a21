import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { keysOf, useRedis } from '../helpers/redis.js';
import { AnomalyStore, CursorError } from '../../src/store/anomalies.js';
import { NAME_SET, REFS_KEY, dimIndex, globalIndex, recordKey } from '../../src/store/anomaly-keys.js';
import { anomaly, tid, T0 } from '../helpers/anomaly-fixtures.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

/** Every sorted set in the store with its members, to check "one entry everywhere". */
async function allIndexMembers(): Promise<Map<string, string[]>> {
  const keys = (await keysOf(redis, 'th:{anom}:*')).filter((k) => /:by-(rank|time)$/.test(k));
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
    // tier 1 (not marked false positive), 13 decibans (-log10(1 - 0.95) = 1.30, from the score: no surprise
    // field), no errors, no added latency, then the exact surprise.
    expect(await redis.zrange(globalIndex('score'), 0, -1)).toEqual([
      `1.00000013.000000.0000000000000.0000000001301029|${tid(1)}`,
    ]);
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

  it('ranks saturated scores by surprise, then errors, then added latency; minSurprise filters', async () => {
    const store = new AnomalyStore(redis);
    const cases: [number, number, number][] = [
      [12.0, 0, 5],
      [40.2, 0, 0],
      [12.04, 1, 0],
      [12.06, 0, 900],
      [3.5, 0, 0],
    ];
    for (let i = 0; i < cases.length; i++) {
      const [surprise, errors, addedMs] = cases[i];
      await store.put(anomaly(i, { score: 1, surprise, impact: { errors, addedMs } }));
    }
    const ids = async (q: Parameters<AnomalyStore['list']>[0]) =>
      (await store.list(q)).items.map((a) => a.id);
    expect(await ids({})).toEqual([1, 2, 3, 0, 4].map(tid));
    expect(await ids({ minSurprise: 12.05 })).toEqual([1, 3].map(tid));
  });

  it('a false positive sinks; anomalies like it rank by the surprise they have beyond it', async () => {
    const store = new AnomalyStore(redis, { maxAgeS: 3600 });
    const dbError = [{ service: 'db', kind: 'error' as const, contribution: 1, evidence: 'db failed.' }];
    await store.put(anomaly(1, { score: 1, surprise: 30 })); // the one marked
    await store.put(anomaly(2, { score: 1, surprise: 34 })); // like it: 4 beyond
    await store.put(anomaly(3, { score: 1, surprise: 20, rootCauses: dbError })); // another cause
    await store.put(anomaly(4, { score: 1, surprise: 25, service: 'cart' })); // another endpoint
    await store.put(anomaly(5, { score: 1, surprise: 90 })); // like it, far beyond it
    await store.put(anomaly(6, { score: 1, surprise: 31 })); // like it, confirmed
    await store.feedback(tid(6), { verdict: 'true-positive' });
    const ids = async () => (await store.list({})).items.map((a) => a.id);
    expect(await ids()).toEqual([5, 2, 6, 1, 4, 3].map(tid));

    await redis.expire(recordKey(tid(2)), 100);
    await store.feedback(tid(1), { verdict: 'false-positive' });
    expect(await ids()).toEqual([5, 6, 4, 3, 2, 1].map(tid));
    // Re-indexing keeps the record's own expiry.
    expect(await redis.ttl(recordKey(tid(2)))).toBeLessThanOrEqual(100);
    // One that arrives later is judged the same way.
    await store.put(anomaly(7, { score: 1, surprise: 60 })); // 30 beyond it
    expect(await ids()).toEqual([5, 6, 7, 4, 3, 2, 1].map(tid));
    // Each index the store keeps ranks the same way.
    const byEndpoint = await store.list({ endpoint: 'frontend:GET /checkout' });
    expect(byEndpoint.items.map((a) => a.id)).toEqual([5, 6, 7, 3, 2, 1].map(tid));
  });

  it('moves records indexed by the bare score (before ranking) into the rank indexes', async () => {
    const store = new AnomalyStore(redis);
    await store.put(anomaly(1, { score: 0.9 }));
    await store.put(anomaly(2, { score: 0.95 }));
    // Put record 2 back the way an older version indexed it.
    const refs = (await redis.hget(REFS_KEY, tid(2)))!.split('\n').map((l) => l.split('\t'));
    const legacy = refs.map(([key, member]) =>
      key.endsWith(':by-rank')
        ? [key.replace(/by-rank$/, 'by-score'), `0.9500000000000000|${tid(2)}`]
        : [key, member],
    );
    for (const [[key, member], [oldKey, oldMember]] of refs.map((r, i) => [r, legacy[i]]))
      if (key !== oldKey) {
        await redis.zrem(key, member);
        await redis.zadd(oldKey, 0, oldMember);
      }
    await redis.hset(REFS_KEY, tid(2), legacy.map((l) => l.join('\t')).join('\n'));
    expect((await store.list({})).items.map((a) => a.id)).toEqual([tid(1)]);

    expect(await store.migrateLegacyIndex()).toBe(1);
    expect((await store.list({})).items.map((a) => a.id)).toEqual([2, 1].map(tid));
    expect((await keysOf(redis, 'th:{anom}:*')).filter((k) => k.endsWith(':by-score'))).toEqual([]);
    expect(await store.migrateLegacyIndex()).toBe(0);
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
  });

  it('refuses invalid records and ids', async () => {
    const store = new AnomalyStore(redis);
    await expect(store.put({ ...anomaly(1), score: 2 })).rejects.toThrow(/score/);
    await expect(store.put({ ...anomaly(1), id: 'refs' })).rejects.toThrow(/not valid/);
    expect(await redis.dbsize()).toBe(0);
  });
});
