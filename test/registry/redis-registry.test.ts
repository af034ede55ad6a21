import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ModelCache, ModelRegistry } from '../../src/registry/redis-registry.js';
import { trainModelSet } from '../../src/scoring/train.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { normalTraffic } from '../helpers/traffic.js';

describe('model registry in Redis', () => {
  let redis: TestRedis;
  let client: Redis;
  let a: ModelSet;
  let b: ModelSet;
  const { traces } = normalTraffic(11, 400);
  const endpoint = 'frontend:POST /checkout';

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    a = await trainModelSet(traces, { seed: 1, autoencoder: false, minEndpointTraces: 100 });
    b = await trainModelSet(traces, { seed: 2, minEndpointTraces: 100 });
  }, 120_000);
  afterAll(async () => {
    a?.dispose();
    b?.dispose();
    client?.disconnect();
    await redis?.close();
  });

  it('publishes inactive versions, activates one, loads it byte for byte, and rolls back', async () => {
    const reg = new ModelRegistry(client, 2);
    const v1 = await reg.publish(endpoint, a);
    const v2 = await reg.publish(endpoint, b);
    expect([v1, v2]).toEqual([1, 2]);
    expect(await reg.activeVersion(endpoint)).toBeUndefined();
    await reg.activate(endpoint, v2);
    const loaded = await reg.load(endpoint, v2);
    const sample = normalTraffic(3, 20).traces;
    const want = b.score(sample).map((s) => s.score);
    loaded.score(sample).forEach((s, i) => expect(s.score).toBeCloseTo(want[i], 6));
    loaded.dispose();
    await reg.activate(endpoint, v1);
    expect((await reg.versions(endpoint)).map((v) => [v.version, v.active])).toEqual([
      [1, true],
      [2, false],
    ]);
    await expect(reg.activate(endpoint, 9)).rejects.toThrow(/no model version 9/);
  });

  it('keeps at most `keep` versions but never drops the active one', async () => {
    const reg = new ModelRegistry(client, 2);
    await reg.activate(endpoint, 1);
    await reg.publish(endpoint, a);
    await reg.publish(endpoint, a);
    const versions = (await reg.versions(endpoint)).map((v) => v.version);
    expect(versions).toContain(1);
    expect(versions.length).toBeLessThanOrEqual(3);
    expect(await reg.endpoints()).toEqual([endpoint]);
  });

  it('a cache asked twice at once loads the model once', async () => {
    const reg = new ModelRegistry(client);
    await reg.activate('one:op', await reg.publish('one:op', a));
    let loads = 0;
    const load = reg.load.bind(reg);
    reg.load = (ep, v) => (loads++, load(ep, v));
    const cache = new ModelCache(reg);
    const [x, y] = await Promise.all([cache.get('one:op'), cache.get('one:op')]);
    expect(x).toBe(y);
    expect(loads).toBe(1);
    x!.dispose();
  });

  it('a worker cache picks up a newly active version without a restart', async () => {
    const reg = new ModelRegistry(client);
    const cache = new ModelCache(reg, 1000);
    const first = await cache.get(endpoint, 0);
    expect(first?.manifest.metrics.autoencoders).toBe(0); // version 1 (model a) is active
    const v = await reg.publish(endpoint, b);
    await reg.activate(endpoint, v);
    expect(await cache.get(endpoint, 500)).toBe(first); // within the recheck interval
    const next = await cache.get(endpoint, 2000);
    expect(next).not.toBe(first);
    expect(next?.manifest.metrics.autoencoders).toBeGreaterThan(0);
    expect(await cache.get('nobody:GET /')).toBeUndefined();
  });
});
