import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../src/sim/index.js';
import { JaegerV1Source, Poller, RedisPollerState } from '../../src/sources/index.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let r: TestRedis;
let redis: Redis;

beforeAll(async () => {
  r = await startRedis();
  redis = new Redis(r.url, { lazyConnect: false });
});

afterAll(async () => {
  redis?.disconnect();
  await r?.close();
});

beforeEach(async () => {
  await redis.flushall();
});

describe('RedisPollerState', () => {
  it('keeps watermarks per (source, service) and only moves them forward', async () => {
    const st = new RedisPollerState(redis);
    expect(await st.getWatermark('jaeger', 'api')).toBeUndefined();
    await st.setWatermark('jaeger', 'api', 2_000);
    await st.setWatermark('jaeger', 'api', 1_000);
    await st.setWatermark('jaeger', 'a:b', 5);
    await st.setWatermark('zipkin', 'api', 7);
    expect(await st.getWatermark('jaeger', 'api')).toBe(2_000);
    await st.setWatermark('jaeger', 'api', 3_000);
    expect(await st.getWatermark('jaeger', 'api')).toBe(3_000);
    expect(await st.watermarks('jaeger')).toEqual(
      new Map([
        ['api', 3_000],
        ['a:b', 5],
      ]),
    );
    expect(await redis.hget('th:poll:{jaeger}:wm', 'api')).toBe('3000');
  });

  it('ignores a watermark that is not a number rather than stalling', async () => {
    await redis.hset('th:poll:{jaeger}:wm', 'api', 'garbage');
    const st = new RedisPollerState(redis);
    expect(await st.getWatermark('jaeger', 'api')).toBeUndefined();
    await st.setWatermark('jaeger', 'api', 10);
    expect(await st.getWatermark('jaeger', 'api')).toBe(10);
  });

  it('answers which ids are new, per source, with a TTL on each', async () => {
    const st = new RedisPollerState(redis);
    expect(await st.markSeen('jaeger', ['a', 'b', 'c'], 600)).toEqual(['a', 'b', 'c']);
    expect(await st.markSeen('jaeger', ['c', 'd', 'a'], 600)).toEqual(['d']);
    expect(await st.markSeen('zipkin', ['a'], 600)).toEqual(['a']);
    expect(await st.unseen('jaeger', ['x', 'a', 'd', 'y'])).toEqual(['x', 'y']);
    expect(await st.unseen('jaeger', ['x'])).toEqual(['x']); // looking marks nothing
    expect(await st.markSeen('jaeger', [], 600)).toEqual([]);
    const ttl = await redis.ttl('th:poll:{jaeger}:seen:a');
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    // Expired ids are new again.
    await st.markSeen('jaeger', ['short'], 1);
    await redis.pexpire('th:poll:{jaeger}:seen:short', 1);
    await new Promise((res) => setTimeout(res, 20));
    expect(await st.markSeen('jaeger', ['short'], 1)).toEqual(['short']);
    const keys = await redis.keys('*');
    for (const k of keys) expect(k.startsWith('th:')).toBe(true);
  });

  it('remembers where traces begin, per source, until they stop', async () => {
    const st = new RedisPollerState(redis);
    await st.noteRoots('jaeger', ['web', 'api'], 1_000);
    await st.noteRoots('jaeger', ['web'], 5_000);
    await st.noteRoots('zipkin', ['other'], 5_000);
    expect((await st.roots('jaeger', 0)).sort()).toEqual(['api', 'web']);
    expect(await st.roots('jaeger', 2_000)).toEqual(['web']);
  });

  it('lets one poll of a service hold its lock at a time, until released or expired', async () => {
    const st = new RedisPollerState(redis);
    const a = await st.lock('jaeger', 'api', 60_000);
    expect(a).toBeDefined();
    expect(await st.lock('jaeger', 'api', 60_000)).toBeUndefined();
    // Another service, or another source, has a lock of its own.
    expect(await st.lock('jaeger', 'db', 60_000)).toBeDefined();
    expect(await st.lock('zipkin', 'api', 60_000)).toBeDefined();
    expect(await a!.extend()).toBe(true);
    await a!.release();
    const b = await st.lock('jaeger', 'api', 50);
    expect(b).toBeDefined();
    await new Promise((res) => setTimeout(res, 80));
    // Expired: the next poll takes it, and the old holder can neither extend nor drop the new one's lock.
    const c = await st.lock('jaeger', 'api', 60_000);
    expect(c).toBeDefined();
    expect(await b!.extend()).toBe(false);
    await b!.release();
    expect(await st.lock('jaeger', 'api', 60_000)).toBeUndefined();
  });

  it('survives a Redis crash (AOF)', async () => {
    const st = new RedisPollerState(redis);
    await st.setWatermark('jaeger', 'api', 42);
    await st.markSeen('jaeger', ['x'], 600);
    await r.stop(true);
    await r.restart();
    const again = new Redis(r.url);
    try {
      const st2 = new RedisPollerState(again);
      expect(await st2.getWatermark('jaeger', 'api')).toBe(42);
      expect(await st2.markSeen('jaeger', ['x', 'y'], 600)).toEqual(['y']);
    } finally {
      again.disconnect();
    }
  });
});

describe('Poller + Jaeger v1 + Redis against the live simulator', () => {
  const T0 = 1_750_000_000_000_000;
  let clock = T0;
  let sim: SimServer;
  let conn: Redis;

  beforeAll(async () => {
    sim = await startSimServer({
      scenario: 'shop-normal',
      port: 0,
      seed: 11,
      backfillS: 90,
      now: () => clock,
    });
  });
  afterAll(async () => {
    await sim?.close();
    conn?.disconnect();
  });

  it('delivers every settled trace of the service exactly once across polls and a restart', async () => {
    conn = new Redis(r.url);
    const src = new JaegerV1Source({ baseUrl: sim.url, name: 'sim' });
    const opts = { initialLookbackS: 60, overlapS: 10, settleS: 5, limit: 40, minWindowS: 0.5 };
    let poller = new Poller([src], new RedisPollerState(conn), opts, { sim: ['checkoutservice'] });
    const got: string[] = [];
    let split = 0;
    for (let i = 0; i < 6; i++) {
      if (i === 3) poller = new Poller([src], new RedisPollerState(conn), opts, { sim: ['checkoutservice'] }); // a restart
      const res = await poller.pollOnce('sim', 'checkoutservice', clock);
      expect(res.stats.error).toBeUndefined();
      expect(res.stats.truncatedWindows).toBe(0);
      split += res.stats.windowsSplit;
      got.push(...res.newTraces.map((t) => t.traceId));
      clock += 7_000_000;
    }
    await src.close();
    const wm = (await new RedisPollerState(conn).getWatermark('sim', 'checkoutservice'))!;
    const want = new Set<string>();
    for (const t of sim.live.newestFirst())
      if (t.spans.some((s) => s.service === 'checkoutservice' && s.start >= T0 - 60e6 && s.start <= wm))
        want.add(t.traceId);
    console.log(`${got.length} traces over 6 polls, ${split} windows split`);
    expect(split).toBeGreaterThan(0);
    expect(got.length).toBe(new Set(got).size);
    expect(new Set(got)).toEqual(want);
  });
});
