import { describe, expect, it } from 'vitest';
import type { SamplingState } from '../../src/sampling/smoothing.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { SamplingStateStore } from '../../src/store/sampling-state.js';
import { useRedis } from '../helpers/redis.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

const state = (at: number): SamplingState => ({
  evaluatedAt: at,
  served: [{ at, defaultProbability: 0.5, operations: { 'GET /': 0.1 } }],
});

describe('SamplingStateStore', () => {
  it('lets one of two writers that read the same state store its step, not both', async () => {
    const store = new SamplingStateStore(redis);
    expect(await store.get('shop')).toEqual({ token: '' });
    expect(await store.swap('shop', '', state(1))).toBe(true);
    const read = await store.get('shop');
    expect(read.state).toEqual(state(1));
    expect(await store.swap('shop', read.token, state(2))).toBe(true);
    expect(await store.swap('shop', read.token, state(3))).toBe(false);
    expect(await store.swap('shop', '', state(4))).toBe(false);
    expect((await store.get('shop')).state).toEqual(state(2));
    expect(await redis.ttl('th:sampling:shop')).toBeGreaterThan(86_000);
  });

  it('reports a state it cannot read, treats it as none, and lets the next step replace it', async () => {
    const store = new SamplingStateStore(redis);
    const warnings: string[] = [];
    await redis.set('th:sampling:shop', '{"evaluatedAt": 1, "served": []}');
    const bad = await store.get('shop', (m) => warnings.push(m));
    expect(bad.state).toBeUndefined();
    await redis.set('th:sampling:cart', 'not json');
    expect((await store.get('cart', (m) => warnings.push(m))).state).toBeUndefined();
    expect(warnings).toEqual([
      expect.stringMatching(/service "shop" \(redis key th:sampling:shop\) is malformed/),
      expect.stringMatching(/service "cart" \(redis key th:sampling:cart\) is not JSON/),
    ]);
    expect(await store.swap('shop', bad.token, state(5))).toBe(true);
    expect((await store.get('shop')).state).toEqual(state(5));
  });
});
