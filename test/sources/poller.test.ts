import { describe, expect, it } from 'vitest';
import { Breaker, MemoryPollerState, Poller, type PollerOptions } from '../../src/sources/index.js';
import { backendDown, badRequest, StubSource } from './stub-source.js';

const S = 1e6;
const NOW = 1_750_000_000 * S;

function setup(opts: PollerOptions = {}, fixed: Record<string, string[]> = { stub: ['api'] }) {
  const src = new StubSource();
  const state = new MemoryPollerState(() => NOW / 1000);
  const poller = new Poller([src], state, opts, fixed);
  return { src, state, poller };
}

describe('poll windows', () => {
  it('starts initialLookbackS back on first start and reads up to now - settle', async () => {
    const { src, state, poller } = setup({ initialLookbackS: 600, settleS: 30 });
    const inside = src.add('api', NOW - 300 * S);
    src.add('api', NOW - 700 * S); // before the lookback
    src.add('api', NOW - 10 * S); // not settled yet
    src.add('web', NOW - 300 * S); // another service
    const r = await poller.pollOnce('stub', 'api', NOW);
    expect(src.queries[0]).toMatchObject({ service: 'api', startUs: NOW - 600 * S, endUs: NOW - 30 * S });
    expect(r.newTraces.map((t) => t.traceId)).toEqual([inside]);
    expect(await state.getWatermark('stub', 'api')).toBe(NOW - 30 * S);
    expect(r.stats).toMatchObject({ fromUs: NOW - 600 * S, toUs: NOW - 30 * S, lagUs: 30 * S, newTraces: 1 });
  });

  it('re-reads the overlap, finds late traces there and skips the ones already handed on', async () => {
    const { src, poller } = setup({ overlapS: 60, settleS: 30, initialLookbackS: 600 });
    const early = src.add('api', NOW - 50 * S);
    await poller.pollOnce('stub', 'api', NOW);
    // Stored late: it started before the watermark, inside the overlap.
    const late = src.add('api', NOW - 40 * S);
    const settledNow = src.add('api', NOW - 10 * S);
    const r = await poller.pollOnce('stub', 'api', NOW + 30 * S);
    expect(src.queries[1]).toMatchObject({ startUs: NOW - 90 * S, endUs: NOW });
    expect(r.newTraces.map((t) => t.traceId).sort()).toEqual([late, settledNow].sort());
    expect(r.stats.duplicates).toBe(1);
    expect(r.newTraces.map((t) => t.traceId)).not.toContain(early);
  });

  it('does not query when there is nothing new to read', async () => {
    const { src, poller } = setup({ overlapS: 0, settleS: 30 });
    await poller.pollOnce('stub', 'api', NOW);
    const r = await poller.pollOnce('stub', 'api', NOW);
    expect(r.stats.skipped).toBe('nothing-to-read');
    expect(src.queries).toHaveLength(1);
  });

  it('catches a long backlog up over several polls, maxWindowS at a time', async () => {
    const { src, state, poller } = setup({ initialLookbackS: 3 * 3600, maxWindowS: 3600, overlapS: 0 });
    for (let i = 0; i < 30; i++) src.add('api', NOW - 3 * 3600 * S + i * 360 * S);
    const got = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await poller.pollOnce('stub', 'api', NOW);
      for (const t of r.newTraces) got.add(t.traceId);
      expect(r.stats.toUs - r.stats.fromUs).toBeLessThanOrEqual(3600 * S);
    }
    expect(got.size).toBe(30);
    expect(await state.getWatermark('stub', 'api')).toBe(NOW - 30 * S);
  });
});

describe('full answers', () => {
  it('splits a full window until no answer is full, and returns every trace once', async () => {
    const { src, poller } = setup({ limit: 8, initialLookbackS: 600, minWindowS: 1 });
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(src.add('api', NOW - 500 * S + i * 7 * S + 123));
    const r = await poller.pollOnce('stub', 'api', NOW);
    expect(new Set(r.newTraces.map((t) => t.traceId))).toEqual(ids);
    expect(r.stats.windowsSplit).toBeGreaterThan(0);
    expect(r.stats.truncatedWindows).toBe(0);
    expect(r.stats.queries).toBe(1 + 2 * r.stats.windowsSplit);
    // The accepted windows tile the whole range without gaps or overlaps, in order.
    const accepted = src.queries.filter((q) => {
      const n = src.traces.filter((t) => t.start >= q.startUs && t.start <= q.endUs).length;
      return n < 8;
    });
    expect(accepted[0].startUs).toBe(NOW - 600 * S);
    for (let i = 1; i < accepted.length; i++) expect(accepted[i].startUs).toBe(accepted[i - 1].endUs + 1);
    expect(accepted.at(-1)!.endUs).toBe(NOW - 30 * S);
    // Only the accepted answers were read: the full ones it split were thrown away unread.
    expect(src.read).toBe(50);
  });

  it('learns a chunk width from the traffic, so steady polls stop fetching full answers to throw away', async () => {
    const { src, poller } = setup({
      limit: 10,
      initialLookbackS: 600,
      overlapS: 0,
      settleS: 0,
      maxQueriesPerPoll: 1000,
    });
    // Steady traffic: one trace every 2 s, for 20 minutes.
    for (let t = NOW - 600 * S; t < NOW + 600 * S; t += 2 * S) src.add('api', t + 1);
    const first = await poller.pollOnce('stub', 'api', NOW);
    expect(first.stats.windowsSplit).toBeGreaterThan(0);
    const before = src.queries.length;
    const second = await poller.pollOnce('stub', 'api', NOW + 300 * S);
    expect(second.stats.windowsSplit).toBe(0);
    expect(second.newTraces).toHaveLength(150);
    for (const q of src.queries.slice(before)) {
      const n = src.traces.filter((t) => t.start >= q.startUs && t.start <= q.endUs).length;
      expect(n).toBeLessThan(10);
    }
  });

  it('accepts a still-full answer at the minimum window and counts it as truncated', async () => {
    const { src, poller } = setup({ limit: 5, initialLookbackS: 100, minWindowS: 10 });
    for (let i = 0; i < 20; i++) src.add('api', NOW - 60 * S);
    const r = await poller.pollOnce('stub', 'api', NOW);
    expect(r.stats.truncatedWindows).toBe(1);
    expect(r.newTraces).toHaveLength(5);
    for (const q of src.queries) expect(q.endUs - q.startUs).toBeGreaterThanOrEqual(10 * S - 1);
    expect(poller.metrics(NOW).pollers[0].truncated).toBe(1);
  });

  it('stops at the query budget and leaves the watermark where reading stopped', async () => {
    const { src, state, poller } = setup({ limit: 2, initialLookbackS: 600, maxQueriesPerPoll: 12 });
    for (let i = 0; i < 40; i++) src.add('api', NOW - 590 * S + i * 14 * S);
    const r = await poller.pollOnce('stub', 'api', NOW);
    expect(r.stats.queries).toBe(12);
    expect(r.newTraces.length).toBeGreaterThan(0);
    const wm = (await state.getWatermark('stub', 'api'))!;
    expect(wm).toBeLessThan(NOW - 30 * S);
    // Every trace returned started before the watermark; none after it was claimed.
    for (const t of r.newTraces) expect(t.start).toBeLessThanOrEqual(wm);
    expect(r.stats.warnings.join()).toMatch(/budget/);
  });
});

describe('failures', () => {
  it('never moves the watermark past what was read, and a later poll delivers the rest exactly once', async () => {
    const { src, state, poller } = setup({ limit: 4, initialLookbackS: 600, overlapS: 60 });
    const all = new Set<string>();
    for (let i = 0; i < 60; i++) all.add(src.add('api', NOW - 590 * S + i * 9 * S));
    src.failWhen = (_q, n) => (n === 6 ? backendDown() : undefined);
    const first = await poller.pollOnce('stub', 'api', NOW);
    expect(first.stats.error).toMatch(/503/);
    const wm = (await state.getWatermark('stub', 'api'))!;
    expect(wm).toBeGreaterThan(NOW - 600 * S);
    expect(wm).toBeLessThan(NOW - 30 * S);
    // What was read before the failure is handed on, and all of it lies before the watermark.
    expect(first.newTraces.length).toBeGreaterThan(0);
    for (const t of first.newTraces) expect(t.start).toBeLessThanOrEqual(wm);
    const missing = [...all].filter((id) => {
      const t = src.traces.find((x) => x.traceId === id)!;
      return t.start <= wm && !first.newTraces.some((n) => n.traceId === id);
    });
    expect(missing).toEqual([]);

    src.failWhen = () => undefined;
    const second = await poller.pollOnce('stub', 'api', NOW + 2 * S);
    const ids = [...first.newTraces, ...second.newTraces].map((t) => t.traceId);
    expect(ids.length).toBe(new Set(ids).size);
    expect(new Set(ids)).toEqual(all);
  });

  it('backs off, opens the breaker after N failures, then half-opens after the cooldown', async () => {
    const { src, poller } = setup({
      initialLookbackS: 60,
      breaker: { threshold: 3, cooldownS: 120, baseBackoffS: 2, maxBackoffS: 4 },
    });
    src.failWhen = () => backendDown();
    let t = NOW;
    expect((await poller.pollOnce('stub', 'api', t)).stats.error).toBeDefined();
    // Backoff after the first failure: 2 s.
    expect((await poller.pollOnce('stub', 'api', t + 1 * S)).stats.skipped).toBe('backoff');
    t += 2 * S;
    expect((await poller.pollOnce('stub', 'api', t)).stats.error).toBeDefined();
    expect((await poller.pollOnce('stub', 'api', t + 3 * S)).stats.skipped).toBe('backoff');
    t += 4 * S;
    expect((await poller.pollOnce('stub', 'api', t)).stats.error).toBeDefined(); // third: opens
    expect(poller.metrics(t).sources[0].breaker).toBe('open');
    const queriesWhenOpen = src.queries.length;
    const refused = await poller.pollOnce('stub', 'api', t + 60 * S);
    expect(refused.stats).toMatchObject({ skipped: 'breaker-open', retryAtUs: t + 120 * S });
    expect(src.queries.length).toBe(queriesWhenOpen);

    // Half-open: one trial; it fails, so the breaker opens again for a full cooldown.
    t += 120 * S;
    expect(poller.metrics(t).sources[0].breaker).toBe('half-open');
    expect((await poller.pollOnce('stub', 'api', t)).stats.error).toBeDefined();
    expect(poller.metrics(t).sources[0]).toMatchObject({ breaker: 'open', breakerOpens: 2 });

    // The next trial succeeds and closes it.
    src.failWhen = () => undefined;
    t += 120 * S;
    const ok = await poller.pollOnce('stub', 'api', t);
    expect(ok.stats.error).toBeUndefined();
    expect(poller.metrics(t).sources[0]).toMatchObject({ breaker: 'closed', consecutiveFailures: 0 });
    expect(poller.metrics(t).pollers[0].failures).toBe(4);
  });

  it('does not trip the breaker on a 4xx (our request, not the backend)', async () => {
    const { src, poller } = setup({ breaker: { threshold: 1 } });
    src.failWhen = () => badRequest();
    const r = await poller.pollOnce('stub', 'api', NOW);
    expect(r.stats.error).toMatch(/400/);
    expect(poller.metrics(NOW).sources[0].breaker).toBe('closed');
  });

  it('lets only one trial through while half-open', () => {
    const b = new Breaker({ threshold: 1, cooldownS: 10 });
    b.failure(0);
    expect(b.allow(5 * S)).toMatchObject({ ok: false, reason: 'breaker-open' });
    expect(b.allow(10 * S)).toEqual({ ok: true });
    expect(b.allow(10 * S)).toMatchObject({ ok: false, reason: 'breaker-open' });
    b.success();
    expect(b.allow(10 * S)).toEqual({ ok: true });
  });
});

describe('dedupe and discovery', () => {
  it('hands a trace found by two services on once', async () => {
    const { src, poller } = setup({ initialLookbackS: 600 }, { stub: ['api', 'db'] });
    const shared = src.add('api', NOW - 100 * S, 'ab'.repeat(16));
    src.traces.push({ traceId: shared, service: 'db', start: NOW - 99 * S });
    const a = await poller.pollOnce('stub', 'api', NOW);
    const b = await poller.pollOnce('stub', 'db', NOW);
    expect(a.newTraces).toHaveLength(1);
    expect(b.newTraces).toHaveLength(0);
    expect(b.stats.duplicates).toBe(1);
  });

  it('does not read again what it has handed on: a trace in the overlap is dropped before it is read', async () => {
    const { src, poller } = setup(
      { initialLookbackS: 600, overlapS: 60, settleS: 0 },
      { stub: ['api', 'db'] },
    );
    const id = src.add('api', NOW - 30 * S);
    src.traces.push({ traceId: id, service: 'db', start: NOW - 30 * S });
    await poller.pollOnce('stub', 'api', NOW);
    const again = await poller.pollOnce('stub', 'api', NOW + 10 * S);
    const db = await poller.pollOnce('stub', 'db', NOW + 10 * S);
    expect(src.read).toBe(1);
    expect(again.stats).toMatchObject({ fetched: 1, duplicates: 1, newTraces: 0 });
    expect(db.stats).toMatchObject({ fetched: 1, duplicates: 1, newTraces: 0 });
  });

  it('polls the services where traces begin every interval and sweeps the others in turn', async () => {
    const services = ['api', 'cache', 'db', 'queue'];
    const { src, poller } = setup({ initialLookbackS: 600, sweepEvery: 4 }, { stub: services });
    // Nothing learned yet: every service is due.
    const names = async (slot: number, nowMs: number) =>
      (await poller.due('stub', slot, nowMs)).map((d) => d.service);
    expect(await names(0, NOW / 1000)).toEqual(services);
    src.add('api', NOW - 100 * S);
    await poller.pollOnce('stub', 'api', NOW);
    const dueIn = new Map(services.map((s) => [s, 0]));
    for (let slot = 0; slot < 8; slot++)
      for (const d of await poller.due('stub', slot, NOW / 1000)) {
        dueIn.set(d.service, dueIn.get(d.service)! + 1);
        expect(d.sweep).toBe(d.service !== 'api');
      }
    expect(Object.fromEntries(dueIn)).toEqual({ api: 8, cache: 2, db: 2, queue: 2 });
    // A trace that begins in db makes db a service polled every interval.
    src.add('db', NOW - 50 * S);
    await poller.pollOnce('stub', 'db', NOW + S);
    expect(await names(1, NOW / 1000)).toEqual(expect.arrayContaining(['api', 'db']));
    // Roots not seen for rootTtlS are forgotten.
    expect(await names(1, NOW / 1000 + 2 * 86_400_000)).toEqual(services);
  });

  it('refreshes services every N source polls and polls new ones', async () => {
    const src = new StubSource();
    const poller = new Poller([src], new MemoryPollerState(), {
      refreshServicesEvery: 3,
      initialLookbackS: 600,
    });
    src.serviceList = ['api'];
    src.add('api', NOW - 100 * S);
    src.add('web', NOW - 100 * S);
    const p1 = await poller.pollSource('stub', NOW);
    expect(p1.added).toEqual(['api']);
    expect(p1.results.map((r) => r.service)).toEqual(['api']);
    src.serviceList = ['api', 'web'];
    await poller.pollSource('stub', NOW + S);
    await poller.pollSource('stub', NOW + 2 * S);
    expect(src.serviceCalls).toBe(1);
    expect(poller.services('stub')).toEqual(['api']);
    const p4 = await poller.pollSource('stub', NOW + 3 * S);
    expect(src.serviceCalls).toBe(2);
    expect(p4.added).toEqual(['web']);
    const web = p4.results.find((r) => r.service === 'web')!;
    expect(web).toMatchObject({ newTraces: 1, fromUs: NOW + 3 * S - 600 * S });
  });

  it('reports lag and counters per poller', async () => {
    const { src, poller } = setup({ initialLookbackS: 600 });
    src.add('api', NOW - 60 * S); // inside the next poll's overlap
    await poller.pollOnce('stub', 'api', NOW);
    await poller.pollOnce('stub', 'api', NOW + 60 * S);
    const m = poller.metrics(NOW + 90 * S).pollers[0];
    expect(m).toMatchObject({
      source: 'stub',
      service: 'api',
      polls: 2,
      tracesFetched: 2,
      newTraces: 1,
      duplicatesSkipped: 1,
      watermarkUs: NOW + 30 * S,
      lagUs: 60 * S,
    });
  });

  it('forgets seen ids after their TTL', async () => {
    let ms = 0;
    const st = new MemoryPollerState(() => ms);
    expect(await st.markSeen('s', ['a', 'b'], 10)).toEqual(['a', 'b']);
    expect(await st.markSeen('s', ['b', 'c'], 10)).toEqual(['c']);
    expect(await st.markSeen('other', ['a'], 10)).toEqual(['a']);
    ms = 10_001;
    expect(await st.markSeen('s', ['a'], 10)).toEqual(['a']);
  });
});

describe('hand-off', () => {
  it('marks nothing and keeps the watermark when delivery fails, so the next poll delivers the same traces', async () => {
    const { src, state, poller } = setup({ initialLookbackS: 600, settleS: 30 });
    const a = src.add('api', NOW - 300 * S);
    const b = src.add('api', NOW - 200 * S);
    await expect(
      poller.pollOnce('stub', 'api', NOW, async () => {
        throw new Error('queue unavailable');
      }),
    ).rejects.toThrow(/queue unavailable/);
    expect(await state.getWatermark('stub', 'api')).toBeUndefined();
    const delivered: string[] = [];
    const r = await poller.pollOnce('stub', 'api', NOW, async (traces) => {
      delivered.push(...traces.map((t) => t.traceId));
    });
    expect(delivered.sort()).toEqual([a, b].sort());
    expect(r.newTraces).toHaveLength(2);
    const again = await poller.pollOnce('stub', 'api', NOW + 1, async (traces) => {
      delivered.push(...traces.map((t) => t.traceId));
    });
    expect(again.newTraces).toHaveLength(0);
    expect(delivered).toHaveLength(2);
  });
});

describe('sweeps and the learned overlap', () => {
  it('skips a poll of a service while another poll of it is still running', async () => {
    const { src, poller } = setup({ initialLookbackS: 600 });
    src.add('api', NOW - 100 * S);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const first = poller.pollOnce('stub', 'api', NOW, () => gate);
    await new Promise((r) => setTimeout(r, 5));
    const second = await poller.pollOnce('stub', 'api', NOW + S);
    expect(second.stats.skipped).toBe('busy');
    expect(src.queries).toHaveLength(1);
    open();
    expect((await first).newTraces).toHaveLength(1);
    expect((await poller.pollOnce('stub', 'api', NOW + 10 * S)).stats.skipped).toBeUndefined();
  });

  it('a sweep reads one recent window once, hands on what is new there and leaves the watermark alone', async () => {
    const services = ['api', 'db'];
    const { src, state, poller } = setup(
      { initialLookbackS: 600, settleS: 10, intervalS: 60, limit: 3 },
      { stub: services },
    );
    await state.noteRoots('stub', ['api'], NOW / 1000);
    src.add('db', NOW - 100 * S); // before the sweep's window: left to the polls of where it begins
    const recent = [20, 25, 30, 35].map((ago) => src.add('db', NOW - ago * S));
    const r = await poller.pollOnce('stub', 'db', NOW, undefined, 'sweep');
    expect(src.queries).toHaveLength(1);
    expect(src.queries[0]).toMatchObject({ startUs: NOW - 40 * S, endUs: NOW - 10 * S, limit: 3 });
    // One search, its full answer taken as it is (the newest three): a sample, never split.
    expect(r.newTraces.map((t) => t.traceId).sort()).toEqual(recent.slice(0, 3).sort());
    expect(r.stats.windowsSplit).toBe(0);
    expect(await state.getWatermark('stub', 'db')).toBeUndefined();
    // What it found begins in db, so db is now polled every interval, from the initial look-back.
    expect((await poller.due('stub', 1, NOW / 1000)).filter((d) => !d.sweep).map((d) => d.service)).toEqual(
      services,
    );
    const polled = await poller.pollOnce('stub', 'db', NOW + S);
    expect(polled.stats.fromUs).toBe(NOW + S - 600 * S);
    expect(polled.newTraces.map((t) => t.traceId)).toHaveLength(2);
  });

  it('sweeps every service while no root is known, asking for a few traces over the whole look-back', async () => {
    const { src, poller } = setup({ initialLookbackS: 600, settleS: 0 }, { stub: ['api', 'db'] });
    for (let i = 0; i < 50; i++) src.add('api', NOW - 500 * S + i * S);
    expect(await poller.due('stub', 3, NOW / 1000)).toEqual([
      { service: 'api', sweep: true },
      { service: 'db', sweep: true },
    ]);
    const r = await poller.pollOnce('stub', 'api', NOW, undefined, 'sweep');
    expect(src.queries[0]).toMatchObject({ startUs: NOW - 600 * S, endUs: NOW });
    expect(r.newTraces.length).toBeGreaterThan(0);
    expect(r.newTraces.length).toBeLessThanOrEqual(src.queries[0].limit);
    expect(src.queries[0].limit).toBeLessThan(500);
    expect((await poller.due('stub', 3, NOW / 1000)).find((d) => d.service === 'api')).toEqual({
      service: 'api',
      sweep: false,
    });
  });

  it('re-reads the least overlap while traces arrive on time, the whole one every Nth poll, and widens it for a late trace', async () => {
    const { src, poller } = setup({
      initialLookbackS: 600,
      overlapS: 200,
      minOverlapS: 2,
      settleS: 0,
      fullOverlapEvery: 4,
      intervalS: 10,
    });
    const from = (i: number) => src.queries[i].startUs;
    let t = NOW;
    await poller.pollOnce('stub', 'api', t); // the first: a full look-back
    const overlaps: number[] = [];
    for (let i = 1; i <= 5; i++) {
      t += 10 * S;
      await poller.pollOnce('stub', 'api', t);
      overlaps.push((t - 10 * S - from(i)) / S);
    }
    // Nothing late: 2 s, except on this process's first poll from a watermark and whenever a window
    // crosses a multiple of 4 x 10 s (NOW is one), which re-read all 200 s.
    expect(overlaps).toEqual([200, 2, 2, 200, 2]);
    // Stored 7 s after the watermark had passed its start: only the whole overlap finds it...
    const late = src.add('api', t - 7 * S);
    for (let i = 0; i < 2; i++) {
      t += 10 * S;
      expect((await poller.pollOnce('stub', 'api', t)).newTraces).toHaveLength(0);
    }
    t += 10 * S;
    const full = await poller.pollOnce('stub', 'api', t);
    expect(full.stats.fromUs).toBe(t - 10 * S - 200 * S);
    expect(full.newTraces.map((x) => x.traceId)).toEqual([late]);
    // ... and from then on the polls re-read twice its lateness as that poll saw it (27 s behind the
    // watermark: an upper bound, as it cannot tell when the trace was stored).
    t += 10 * S;
    const next = await poller.pollOnce('stub', 'api', t);
    expect(next.stats.fromUs).toBe(t - 10 * S - 2 * 27 * S);
  });
});
