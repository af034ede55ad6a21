import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { startRedis } from '../../src/app/private-redis.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { startRedisCluster } from './redis-cluster.js';

export { startRedis, freePort, type PrivateRedis as TestRedis } from '../../src/app/private-redis.js';

/** `TRACEHOUND_TEST_REDIS=cluster` runs the suites that use `useRedis` against a 3-master Redis Cluster. */
export const CLUSTER = process.env.TRACEHOUND_TEST_REDIS === 'cluster';

/** KEYS on every master (a cluster client would ask one node only). */
export async function keysOf(client: RedisClient, pattern: string): Promise<string[]> {
  if (client instanceof Cluster)
    return (await Promise.all(client.nodes('master').map((n) => n.keys(pattern)))).flat();
  return client.keys(pattern);
}

/**
 * A private Redis for one test file: started before its tests, emptied before each one, closed after.
 * `onClient` receives the connected client (register hooks that use it after this call).
 */
export function useRedis(onClient: (client: RedisClient) => void): void {
  let close: () => Promise<void> = async () => {};
  let flush: () => Promise<unknown> = async () => {};
  let client: RedisClient;
  beforeAll(async () => {
    if (CLUSTER) {
      const cluster = await startRedisCluster();
      const c = cluster.client();
      client = c;
      flush = () => cluster.flush(c);
      close = cluster.close;
    } else {
      const server = await startRedis({ appendonly: false });
      const c = new Redis(server.url);
      client = c;
      flush = () => c.flushall();
      close = server.close;
    }
    onClient(client);
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await close();
  });
  beforeEach(async () => {
    await flush();
  });
}
