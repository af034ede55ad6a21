import { SamplingStateSchema, type SamplingState } from '../sampling/smoothing.js';
import { LuaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';

const key = (service: string) => `th:sampling:${encodeURIComponent(service)}`;

/**
 * Writes a service's new state only if the stored value is still the one the writer read ('' for none): two
 * API replicas advising at once must not both step the smoothing.
 * KEYS: the state. ARGV: the value read, the new JSON, seconds to live. Returns 1 written, 0 lost.
 */
const SWAP = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if (cur or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`);

/** A state as read: `token` is the stored text, which a swap must find unchanged. */
export interface StoredSamplingState {
  state?: SamplingState;
  token: string;
}

/** What each service was served lately (src/sampling/smoothing.ts), one key per service. */
export class SamplingStateStore {
  constructor(
    private readonly redis: RedisClient,
    /** A service nobody asked about for this long starts again from a cold start (default a day). */
    private readonly ttlS = 86_400,
  ) {}

  /** The stored state; one that cannot be read is reported and treated as none (the next swap replaces it). */
  async get(service: string, warn: (msg: string) => void = () => {}): Promise<StoredSamplingState> {
    const token = (await this.redis.get(key(service))) ?? '';
    if (token === '') return { token };
    const where = `sampling state of service "${service}" (redis key ${key(service)})`;
    let json: unknown;
    try {
      json = JSON.parse(token);
    } catch (err) {
      warn(`${where} is not JSON (${(err as Error).message}): advice starts over`);
      return { token };
    }
    const parsed = SamplingStateSchema.safeParse(json);
    if (parsed.success) return { state: parsed.data, token };
    warn(`${where} is malformed (${parsed.error.issues[0]?.message}): advice starts over`);
    return { token };
  }

  /** Stores `next` if the stored text is still `token`; false when another writer got there first. */
  async swap(service: string, token: string, next: SamplingState): Promise<boolean> {
    return Number(await SWAP.run(this.redis, [key(service)], [token, JSON.stringify(next), this.ttlS])) === 1;
  }
}
