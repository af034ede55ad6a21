import { randomUUID } from 'node:crypto';
import { LuaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';

/** A lease on one key: only its holder (by token) extends or drops it, since one that expired may be another's now. */
export interface RedisLock {
  /** Keeps the lock another ttl; false when it was lost. */
  extend(): Promise<boolean>;
  release(): Promise<void>;
}

const IF_HELD = (then: string) => `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
${then}
return 1`;
const EXTEND = new LuaScript(IF_HELD(`redis.call('PEXPIRE', KEYS[1], ARGV[2])`));
const RELEASE = new LuaScript(IF_HELD(`redis.call('DEL', KEYS[1])`));

/** Takes `key` for `ttlMs`; undefined while someone else holds it. A holder that dies frees it after the ttl. */
export async function takeLock(
  redis: RedisClient,
  key: string,
  ttlMs: number,
): Promise<RedisLock | undefined> {
  const token = randomUUID();
  const ms = Math.max(1, Math.ceil(ttlMs));
  if ((await redis.set(key, token, 'PX', ms, 'NX')) !== 'OK') return undefined;
  return {
    extend: async () => (await EXTEND.run(redis, [key], [token, ms])) === 1,
    release: async () => void (await RELEASE.run(redis, [key], [token])),
  };
}
