import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis } from '../../src/service/private-redis.js';

export { startRedis, freePort, type PrivateRedis as TestRedis } from '../../src/service/private-redis.js';

/**
 * A private Redis for one test file: started before its tests, emptied before each one, closed after.
 * `onClient` receives the connected client (register hooks that use it after this call).
 */
export function useRedis(onClient: (client: Redis) => void): void {
  let server: Awaited<ReturnType<typeof startRedis>>;
  let client: Redis;
  beforeAll(async () => {
    server = await startRedis({ appendonly: false });
    client = new Redis(server.url);
    onClient(client);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.close();
  });
  beforeEach(async () => {
    await client.flushall();
  });
}
