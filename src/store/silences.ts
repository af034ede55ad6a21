import { randomBytes } from 'node:crypto';
import { SilenceSchema, type CreateSilenceInput, type Silence } from '../webhooks/silence.js';
import type { RedisClient } from './redis-client.js';

/** One hash of every silence (they are few), so listing is one command and works on a Redis Cluster. */
export const SILENCES_KEY = 'th:silences';

/** Silences in Redis; expired ones are dropped when listed. */
export class SilenceStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: CreateSilenceInput, by?: string): Promise<Silence> {
    const now = this.now();
    const silence: Silence = {
      id: `sil_${randomBytes(9).toString('base64url')}`,
      ...(input.service !== undefined ? { service: input.service } : { endpoint: input.endpoint }),
      createdAt: new Date(now).toISOString(),
      until: new Date(now + input.minutes * 60_000).toISOString(),
      ...(by ? { by } : {}),
      ...(input.note ? { note: input.note } : {}),
    };
    await this.redis.hset(SILENCES_KEY, silence.id, JSON.stringify(silence));
    return silence;
  }

  /** Silences still in force, soonest to end first. A record that no longer parses is dropped and logged. */
  async active(): Promise<Silence[]> {
    const all = await this.redis.hgetall(SILENCES_KEY);
    const now = this.now();
    const out: Silence[] = [];
    const stale: string[] = [];
    for (const [id, raw] of Object.entries(all)) {
      let s: Silence | undefined;
      try {
        s = SilenceSchema.parse(JSON.parse(raw));
      } catch (e) {
        console.warn(`silence ${id}: unreadable record dropped (${(e as Error).message.slice(0, 200)})`);
      }
      if (s && Date.parse(s.until) > now) out.push(s);
      else stale.push(id);
    }
    if (stale.length) await this.redis.hdel(SILENCES_KEY, ...stale);
    return out.sort((a, b) => a.until.localeCompare(b.until));
  }

  /** Ends a silence now; false when there was none by that id. */
  async remove(id: string): Promise<boolean> {
    return (await this.redis.hdel(SILENCES_KEY, id)) > 0;
  }
}
