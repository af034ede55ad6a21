/**
 * The poller's state in Redis.
 *
 * Watermarks: one hash per source, `th:poll:{<source>}:wm`, field = service, value = µs. Moved forward only
 * (a Lua compare-and-set), so a replayed or overlapping job can never move a watermark back.
 *
 * Seen trace ids: one key per id, `SET th:poll:{<source>}:seen:<traceId> 1 NX EX <ttl>`, pipelined. Chosen over a
 * sorted set per service because (1) a trace crossing several services must be deduped across all of that
 * source's pollers, which a per-service set cannot do; (2) SET NX answers per id whether it was new, in one
 * round trip for the batch, where ZADD NX with many members only returns a count; (3) expiry is Redis's own,
 * so nothing has to trim, and memory is bounded by (traces per second x TTL) keys of about 100 bytes each.
 * A sorted set would bound the count exactly, but needs a Lua script to tell new members apart and a trim
 * on every write. A Redis Cluster runs a pipeline on one node only, so every key of a source shares the
 * source's hash tag (one slot per source).
 */
import { hashTag, type RedisClient } from '../store/redis-client.js';
import { takeLock } from '../store/redis-lock.js';
import type { PollLock, PollerState } from './state.js';

const wmKey = (source: string) => `th:poll:${hashTag(source)}:wm`;
const seenKey = (source: string, traceId: string) => `th:poll:${hashTag(source)}:seen:${traceId}`;
/** Services where traces begin, scored by when one was last seen (ms). */
const rootsKey = (source: string) => `th:poll:${hashTag(source)}:roots`;
/** The lock one poll of a service holds (see PollerState.lock). */
const lockKey = (source: string, service: string) => `th:poll:${hashTag(source)}:lock:${service}`;
/** Root services not seen for this long are forgotten. */
const ROOTS_KEEP_MS = 7 * 86_400_000;

const MAX_FORWARD = `
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '')
if cur and cur >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

export class RedisPollerState implements PollerState {
  constructor(private readonly redis: RedisClient) {}

  async getWatermark(source: string, service: string): Promise<number | undefined> {
    const v = await this.redis.hget(wmKey(source), service);
    if (v === null) return undefined;
    const n = Number(v);
    // A value someone wrote by hand that is not a number would stall the poller forever: start over instead.
    return Number.isFinite(n) ? n : undefined;
  }

  async setWatermark(source: string, service: string, us: number): Promise<void> {
    if (!Number.isFinite(us)) throw new Error(`watermark for ${source}/${service} is not a number: ${us}`);
    await this.redis.eval(MAX_FORWARD, 1, wmKey(source), service, String(Math.floor(us)));
  }

  async markSeen(source: string, traceIds: string[], ttlS: number): Promise<string[]> {
    if (traceIds.length === 0) return [];
    const ttl = Math.max(1, Math.ceil(ttlS));
    const p = this.redis.pipeline();
    for (const id of traceIds) p.set(seenKey(source, id), '1', 'EX', ttl, 'NX');
    const replies = (await p.exec()) ?? [];
    const fresh: string[] = [];
    replies.forEach(([err, reply], i) => {
      if (err) throw err;
      if (reply === 'OK') fresh.push(traceIds[i]);
    });
    return fresh;
  }

  async unseen(source: string, traceIds: string[]): Promise<string[]> {
    if (traceIds.length === 0) return [];
    const p = this.redis.pipeline();
    for (const id of traceIds) p.exists(seenKey(source, id));
    const replies = (await p.exec()) ?? [];
    return traceIds.filter((_, i) => {
      const [err, n] = replies[i] ?? [null, 0];
      if (err) throw err;
      return n === 0;
    });
  }

  async noteRoots(source: string, services: string[], nowMs: number): Promise<void> {
    if (services.length === 0) return;
    const key = rootsKey(source);
    await this.redis
      .pipeline()
      .zadd(key, ...services.flatMap((s) => [nowMs, s]))
      .zremrangebyscore(key, '-inf', nowMs - ROOTS_KEEP_MS)
      .exec();
  }

  async roots(source: string, sinceMs: number): Promise<string[]> {
    return this.redis.zrangebyscore(rootsKey(source), sinceMs, '+inf');
  }

  async lock(source: string, service: string, ttlMs: number): Promise<PollLock | undefined> {
    return takeLock(this.redis, lockKey(source, service), ttlMs);
  }

  async watermarks(source: string): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(wmKey(source));
    const out = new Map<string, number>();
    for (const [k, v] of Object.entries(all)) {
      const n = Number(v);
      if (Number.isFinite(n)) out.set(k, n);
    }
    return out;
  }
}
