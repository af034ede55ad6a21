import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis } from '../helpers/redis.js';

describe('test redis helper', () => {
  it('starts a private server that keeps data across a crash (AOF)', async () => {
    const r = await startRedis();
    try {
      const c = new Redis(r.url, { maxRetriesPerRequest: null, lazyConnect: true });
      await c.connect();
      await c.set('k', 'v');
      expect(await c.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      c.disconnect();
      await r.stop(true);
      await r.restart();
      const c2 = new Redis(r.url);
      expect(await c2.get('k')).toBe('v');
      c2.disconnect();
    } finally {
      await r.close();
    }
  });
});
