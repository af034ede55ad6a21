import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { keysOf, useRedis } from '../helpers/redis.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { EvidenceStore } from '../../src/store/incident-evidence.js';
import { BY_START_KEY, evidenceKey, statusKey } from '../../src/store/incident-keys.js';
import { CursorError } from '../../src/store/sort-key.js';
import { ShiftEvidence } from '../../src/incidents/shift-evidence.js';
import { MINUTE_US } from '../../src/traffic/minute.js';
import { incident, M0 } from '../helpers/incident-fixtures.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

const MIN = 60_000;

async function listAll(store: IncidentStore, q: Parameters<IncidentStore['list']>[0]) {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await store.list({ ...q, cursor });
    ids.push(...page.items.map((i) => i.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

describe('IncidentStore', () => {
  it('never goes back to an older revision, and an equal one changes nothing', async () => {
    const store = new IncidentStore(redis);
    expect(await store.upsert(incident(1, { status: 'open', resolvedAt: undefined, revision: 3 }))).toBe(
      'created',
    );
    expect(
      await store.upsert(incident(1, { status: 'open', resolvedAt: undefined, revision: 2, traceCount: 9 })),
    ).toBe('stale');
    expect(
      await store.upsert(incident(1, { status: 'open', resolvedAt: undefined, revision: 3, traceCount: 9 })),
    ).toBe('stale');
    expect((await store.get('inc-t-1'))?.traceCount).toBe(1);
    expect(await store.upsert(incident(1, { revision: 4, traceCount: 7 }))).toBe('updated');
    expect(await store.get('inc-t-1')).toMatchObject({ status: 'resolved', revision: 4, traceCount: 7 });
  });

  it('moves an incident from the open index to the resolved one, one entry everywhere', async () => {
    const store = new IncidentStore(redis);
    await store.upsert(incident(1, { status: 'open', resolvedAt: undefined, revision: 0 }));
    expect(await redis.zcard(statusKey('open'))).toBe(1);
    expect(await redis.zcard(statusKey('resolved'))).toBe(0);
    await store.upsert(incident(1, { revision: 1 }));
    await store.upsert(incident(1, { revision: 2 }));
    expect(await redis.zcard(statusKey('open'))).toBe(0);
    expect(await redis.zrange(statusKey('resolved'), 0, -1)).toHaveLength(1);
    expect(await redis.zrange(BY_START_KEY, 0, -1)).toHaveLength(1);
    expect((await store.list({ status: 'open' })).items).toEqual([]);
    expect((await store.list({ status: 'resolved' })).items.map((i) => i.id)).toEqual(['inc-t-1']);
  });

  it('refuses a record that breaks the contract, saying which field', async () => {
    const store = new IncidentStore(redis);
    await expect(store.upsert({ ...incident(1), start: 'yesterday' })).rejects.toThrow(/start/);
    await expect(store.upsert(incident(1, { id: 'a b' }))).rejects.toThrow(/incident id "a b"/);
    expect(await keysOf(redis, 'th:{inc}:*')).toEqual([]);
  });

  it('lists newest first and filters by status, service and overlapping time', async () => {
    const store = new IncidentStore(redis);
    for (let n = 0; n < 12; n++)
      await store.upsert(
        incident(n * 10, {
          status: n === 11 ? 'open' : 'resolved',
          resolvedAt: n === 11 ? undefined : incident(n * 10).resolvedAt,
          endpoints: [n % 2 ? 'frontend:GET /cart' : 'checkout:PlaceOrder'],
          rootCauses: [{ service: n % 3 ? 'cartservice' : 'paymentservice', score: 1, evidence: 'x' }],
        }),
      );
    const all = await listAll(store, { limit: 5 });
    expect(all).toEqual(Array.from({ length: 12 }, (_, i) => `inc-t-${(11 - i) * 10}`));
    expect(await listAll(store, { status: 'open' })).toEqual(['inc-t-110']);
    // By root cause: n % 3 == 0; by endpoint service: odd n.
    expect(await listAll(store, { service: 'paymentservice' })).toEqual([
      'inc-t-90',
      'inc-t-60',
      'inc-t-30',
      'inc-t-0',
    ]);
    expect(await listAll(store, { service: 'checkout' })).toHaveLength(6);
    expect(await listAll(store, { service: 'frontend', status: 'resolved', limit: 2 })).toEqual([
      'inc-t-90',
      'inc-t-70',
      'inc-t-50',
      'inc-t-30',
      'inc-t-10',
    ]);
    // Incidents n*10 .. n*10+5 minutes; [32, 52] overlaps 30 (ends 35), 40 and 50; the open one reaches now.
    const from = M0 + 32 * MIN;
    const to = M0 + 52 * MIN;
    expect(await listAll(store, { from, to })).toEqual(['inc-t-50', 'inc-t-40', 'inc-t-30']);
    expect(await listAll(store, { from: M0 + 200 * MIN })).toEqual(['inc-t-110']);
    await expect(store.list({ from: to, to: from })).rejects.toThrow(/from must not be after to/);
    await expect(store.list({ cursor: 'bogus' })).rejects.toBeInstanceOf(CursorError);
  });

  it('prunes old resolved incidents by age and by count, never open ones', async () => {
    const now = M0 + 1000 * MIN;
    const store = new IncidentStore(redis, { now: () => now });
    for (let n = 0; n < 10; n++) await store.upsert(incident(n * 100));
    await store.upsert(incident(5, { status: 'open', resolvedAt: undefined }));
    // maxAge 450 minutes: starts 0..500 are older than 550 → 0,100,...,500 and the open 5 stays.
    const r = await store.prune({ maxAgeS: 450 * 60, maxCount: 100 });
    expect(r.byAge).toBe(6);
    expect(await listAll(store, {})).toEqual(['inc-t-900', 'inc-t-800', 'inc-t-700', 'inc-t-600', 'inc-t-5']);
    const c = await store.prune({ maxAgeS: 10_000 * 60, maxCount: 2 });
    expect(c.byCount).toBe(3);
    expect(await listAll(store, {})).toEqual(['inc-t-900', 'inc-t-5']);
    expect(await store.get('inc-t-600')).toBeUndefined();
    expect(await redis.hlen('th:{inc}:rev')).toBe(2);
  });

  it('keeps the job state and a lock only its holder can release', async () => {
    const store = new IncidentStore(redis);
    expect(await store.loadState()).toBeUndefined();
    await store.saveState({ a: 1 });
    expect(await store.loadState()).toEqual({ a: 1 });
    const t = await store.lock(10_000);
    expect(t).toBeDefined();
    expect(await store.lock(10_000)).toBeUndefined();
    await store.unlock('not-the-token');
    expect(await store.lock(10_000)).toBeUndefined();
    await store.unlock(t!);
    expect(await store.lock(10_000)).toBeDefined();
  });
});

function evidence(traces: number, service = 'cartservice'): ShiftEvidence {
  return ShiftEvidence.fromJSON({
    traces,
    anomalous: 1,
    scoreSum: traces / 2,
    services: {
      [service]: {
        traces,
        scoreSum: traces / 2,
        anomalous: 1,
        cause: 0.5,
        structureObserved: 0,
        structureExpected: 0,
        errorOrigins: 1,
        spans: traces * 2,
      },
    },
    operations: {},
    calls: { frontend: [service] },
  });
}

describe('EvidenceStore', () => {
  const m = (k: number) => M0 * 1000 + k * MINUTE_US;
  const flagged = (id: string) => ({
    traceId: id,
    score: 0.99,
    endpoint: 'frontend:GET /cart',
    suspect: 'cartservice',
  });
  /** Traces `prefix`1..`prefix`n in minute k, the first `flag` of them flagged. */
  const traces = (prefix: string, k: number, n: number, flag = 0) =>
    Array.from({ length: n }, (_, i) => ({ traceId: `${prefix}${i + 1}`, minute: m(k), flag: i < flag }));
  type Item = ReturnType<typeof traces>[number];
  /** Writes a batch whose shares blame `service`; returns the ids each share was built from. */
  async function put(store: EvidenceStore, items: Item[], service?: string): Promise<string[][]> {
    const built: string[][] = [];
    await store.put(items, (_, share) => {
      built.push(share.map((it) => it.traceId));
      return {
        evidence: evidence(share.length, service),
        anomalies: share.filter((it) => it.flag).map((it) => flagged(it.traceId)),
      };
    });
    return built;
  }

  it('merges the batches of a minute, and a trace written again, in any batch, counts once', async () => {
    const store = new EvidenceStore(redis, { ttlS: 600 });
    const a = [...traces('a', 0, 10, 2), ...traces('x', 1, 3)];
    await put(store, a, 'cartservice');
    await put(store, traces('b', 0, 5, 1), 'paymentservice');
    // The same batch retried, then a batch composed differently: refused, then rebuilt with the new c1 only.
    await put(store, a, 'cartservice');
    const mixed = [...traces('a', 0, 5, 2), ...traces('c', 0, 1)];
    expect(await put(store, mixed, 'cartservice')).toEqual([['a1', 'a2', 'a3', 'a4', 'a5', 'c1'], ['c1']]);
    const got = await store.range(m(-1), m(2));
    expect([...got.keys()]).toEqual([m(0), m(1)]);
    const m0 = got.get(m(0))!;
    expect(m0.evidence.traces).toBe(16);
    expect(m0.evidence.services.get('cartservice')!.traces).toBe(11);
    expect(m0.evidence.services.get('paymentservice')!.traces).toBe(5);
    expect(m0.anomalies.map((x) => x.traceId).sort()).toEqual(['a1', 'a2', 'b1']);
    expect(m0.anomalies.find((x) => x.traceId === 'b1')).toEqual(flagged('b1'));
    expect(got.get(m(1))!.evidence.traces).toBe(3);
    expect(got.get(m(1))!.anomalies).toEqual([]);
    const ttl = await redis.ttl(evidenceKey(m(0)));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('compacts a minute into one field and still counts a trace written again once', async () => {
    const store = new EvidenceStore(redis, { warn: () => {} });
    await put(store, traces('a', 0, 10, 1), 'cartservice');
    await put(store, traces('b', 0, 5, 1), 'paymentservice');
    await redis.hset(evidenceKey(m(0)), 'bad', '{not json');
    const before = (await store.range(m(0), m(0))).get(m(0))!;
    await store.compact(m(0));
    expect(await redis.hkeys(evidenceKey(m(0)))).toEqual(['merged']);
    const after = (await store.range(m(0), m(0))).get(m(0))!;
    expect(after.evidence.toJSON()).toEqual(before.evidence.toJSON());
    expect(after.anomalies).toEqual(before.anomalies);
    // A retry of batch a after the merge, and a late batch c.
    await put(store, traces('a', 0, 10, 1), 'cartservice');
    await put(store, traces('c', 0, 2, 1), 'cartservice');
    const late = (await store.range(m(0), m(0))).get(m(0))!;
    expect(late.evidence.traces).toBe(17);
    expect(late.anomalies.map((x) => x.traceId).sort()).toEqual(['a1', 'b1', 'c1']);
    await store.compact(m(0));
    expect(await redis.hkeys(evidenceKey(m(0)))).toEqual(['merged']);
    expect((await store.range(m(0), m(0))).get(m(0))!.evidence.traces).toBe(17);
  });

  it('skips a field it cannot read and says where', async () => {
    const warnings: string[] = [];
    const store = new EvidenceStore(redis, { warn: (w) => warnings.push(w) });
    await put(store, traces('g', 0, 4, 1), 'cartservice');
    await redis.hset(evidenceKey(m(0)), 'bad', '{not json');
    await redis.hset(evidenceKey(m(0)), 'old', JSON.stringify(evidence(7).toJSON()));
    const got = await store.range(m(0), m(0));
    expect(got.get(m(0))!.evidence.traces).toBe(4);
    expect(got.get(m(0))!.anomalies.map((x) => x.traceId)).toEqual(['g1']);
    expect(warnings.sort()).toEqual([
      expect.stringContaining(`${evidenceKey(m(0))}, field bad: skipped`),
      expect.stringContaining(`${evidenceKey(m(0))}, field old: skipped, no list of flagged traces`),
    ]);
  });
});
