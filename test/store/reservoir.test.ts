import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { useRedis } from '../helpers/redis.js';
import { normalTraffic } from '../helpers/traffic.js';
import {
  TraceReservoir,
  compactTrace,
  expandTrace,
  packTrace,
  splitCompactTraces,
} from '../../src/store/reservoir.js';
import { Prng } from '../../src/detectors/prng.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { extractProfile } from '../../src/features/profile.js';
import type { Trace } from '../../src/trace/trace.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

/** A one-span trace whose id carries `n`, so a sample says which offers it kept. */
function tiny(n: number): Trace {
  const traceId = n.toString(16).padStart(32, '0');
  return normalizeTrace(traceId, [
    {
      traceId,
      spanId: '00000000000000aa',
      service: 'svc',
      operation: 'op',
      kind: 'server',
      start: 1_700_000_000_000_000 + n,
      duration: 10,
      error: false,
      attributes: {},
      resource: {},
      events: 0,
    },
  ]);
}

describe('TraceReservoir', () => {
  it('fills to capacity, then stays bounded', async () => {
    const res = new TraceReservoir(redis, { capacity: 20 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => res.add('svc:op', tiny(i))));
    expect(await res.size('svc:op')).toBe(20);
    expect((await res.sample('svc:op')).map((t) => parseInt(t.traceId, 16)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    await Promise.all(Array.from({ length: 300 }, (_, i) => res.add('svc:op', tiny(20 + i))));
    expect(await res.size('svc:op')).toBe(20);
    expect(await res.seen('svc:op')).toBe(320);
    expect(await res.sample('svc:op')).toHaveLength(20);
    expect(await res.endpoints()).toEqual(['svc:op']);
    // As one buffer for a training thread, read in batches smaller than the hash: the same traces.
    const bytes = await res.sampleBytes('svc:op', 3);
    expect(bytes.count).toBe(20);
    expect(
      splitCompactTraces(bytes.data)
        .map((t) => t.traceId)
        .sort(),
    ).toEqual((await res.sample('svc:op')).map((t) => t.traceId).sort());
    await res.reset('svc:op');
    expect(await res.size('svc:op')).toBe(0);
    expect(await res.endpoints()).toEqual([]);
  });

  it('reads a bounded spread of the sample, the same traces each time', async () => {
    const res = new TraceReservoir(redis, { capacity: 100 });
    expect(await res.spread('svc:few', 10)).toEqual([]);
    await res.addTraces(Array.from({ length: 6 }, (_, i) => tiny(i)));
    // Fewer than asked for: all of them.
    expect((await res.spread('svc:op', 10)).map((t) => parseInt(t.traceId, 16)).sort()).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    await res.addTraces(Array.from({ length: 94 }, (_, i) => tiny(6 + i)));
    // Full (slot i holds the i-th offer): every tenth slot, from the whole sample, not its first tenth.
    const ids = (await res.spread('svc:op', 10)).map((t) => parseInt(t.traceId, 16));
    expect(ids).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect((await res.spread('svc:op', 10)).map((t) => parseInt(t.traceId, 16))).toEqual(ids);
    await res.reset('svc:op');
  });

  it('keeps a uniform sample of everything offered (chi-square over arrival order)', async () => {
    // 40 runs of 500 offers into 25 slots; arrivals in 10 buckets of 50 should each hold ~1/10 of the keeps.
    const prng = new Prng(7);
    const buckets = new Array(10).fill(0);
    const runs = 40;
    for (let run = 0; run < runs; run++) {
      const res = new TraceReservoir(redis, { capacity: 25, random: () => prng.next() });
      const ep = `svc:run${run}`;
      await Promise.all(Array.from({ length: 500 }, (_, i) => res.add(ep, tiny(i))));
      for (const t of await res.sample(ep)) buckets[Math.floor(parseInt(t.traceId, 16) / 50)]++;
    }
    const expected = (runs * 25) / 10;
    const chi2 = buckets.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: 27.9 is the 0.1% tail. Keeping the first (or the last) offers gives ~9000.
    expect(chi2).toBeLessThan(27.9);
  });

  it('keeps a uniform sample when traces come in batches (chi-square over arrival order)', async () => {
    const prng = new Prng(11);
    const buckets = new Array(10).fill(0);
    const runs = 40;
    for (let run = 0; run < runs; run++) {
      const res = new TraceReservoir(redis, { capacity: 25, random: () => prng.next() });
      // Five score jobs of 100 traces each, two at a time, as concurrent workers offer them.
      for (let b = 0; b < 5; b += 2)
        await Promise.all(
          [b, b + 1]
            .filter((x) => x < 5)
            .map((x) => res.addTraces(Array.from({ length: 100 }, (_, i) => tiny(x * 100 + i)))),
        );
      expect(await res.seen('svc:op')).toBe(500);
      for (const t of await res.sample('svc:op')) buckets[Math.floor(parseInt(t.traceId, 16) / 50)]++;
      await res.reset('svc:op');
    }
    const expected = (runs * 25) / 10;
    const chi2 = buckets.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it('rebuilds traces whose features equal the originals', async () => {
    const { traces } = normalTraffic(3, 12);
    const res = new TraceReservoir(redis);
    await res.addTraces(traces);
    const eps = await res.endpoints();
    expect(eps.length).toBeGreaterThan(1);
    const back = new Map<string, Trace>();
    for (const ep of eps) for (const t of await res.sample(ep)) back.set(t.traceId, t);
    expect(back.size).toBe(traces.length);
    for (const t of traces) expect(extractProfile(back.get(t.traceId)!)).toEqual(extractProfile(t));
  });

  it('compact form keeps every field the features read', () => {
    const t = tiny(5);
    t.spans[0].instance = 'pod-1';
    t.spans[0].error = true;
    t.spans[0].statusMessage = 'boom';
    t.spans[0].resource = { 'service.version': '1.2' };
    const s = expandTrace(compactTrace(t)).spans[0];
    expect(s).toMatchObject({
      instance: 'pod-1',
      error: true,
      statusMessage: 'boom',
      resource: { 'service.version': '1.2' },
      kind: 'server',
      start: t.spans[0].start,
      duration: 10,
    });
  });

  it('compact form keeps the attributes the core reads and the resource, and drops the rest', () => {
    const one = tiny(2).spans[0];
    const t = normalizeTrace(one.traceId, [
      { ...one },
      { ...one, spanId: '00000000000000bb', parentId: one.spanId, kind: 'client', operation: 'GET' },
    ]);
    const proc = {
      'service.version': '1.2',
      'k8s.pod.name': 'cart-7f9',
      'process.command_line': 'x'.repeat(500),
    };
    t.spans[0].resource = proc;
    t.spans[1].resource = proc;
    t.spans[1].attributes = {
      'peer.service': 'redis',
      'url.full': 'https://x/y?token=1',
      'error.type': 'ECONNREFUSED',
    };
    const back = expandTrace(compactTrace(t)).spans;
    expect(back[1].attributes).toEqual({ 'peer.service': 'redis', 'error.type': 'ECONNREFUSED' });
    expect(back[1].resource).toEqual({ 'service.version': '1.2', 'k8s.pod.name': 'cart-7f9' });
    // One process, one resource object, as the readers build them (the evidence reads it once per process).
    expect(back[0].resource).toBe(back[1].resource);
  });

  it('expands a packed trace (a score job) as it expands its JSON (a reservoir, an older job)', () => {
    for (const t of normalTraffic(3, 20).traces) {
      const fromJson = expandTrace(compactTrace(t, ['app.session']));
      expect(expandTrace(packTrace(t, ['app.session']))).toEqual(fromJson);
      expect(extractProfile(fromJson)).toEqual(extractProfile(t));
    }
  });

  it('refuses a non-positive capacity', () => {
    expect(() => new TraceReservoir(redis, { capacity: 0 })).toThrow(/capacity/);
  });
});
