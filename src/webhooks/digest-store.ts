import type { Anomaly } from '../store/anomaly-record.js';
import { LuaScript } from '../store/lua.js';
import type { RedisClient } from '../store/redis-client.js';
import type { DigestItem } from './events.js';
import { DIGEST_TOP, MINUTE_MS, digestItem, rankMember } from './digest.js';

/**
 * Per-webhook, per-minute anomaly state in Redis, so every API and worker replica counts against the same cap
 * and adds to the same digest. Under the webhooks' hash tag (store.ts), so each script's keys share a slot.
 */
const base = (hookId: string) => `th:{wh}:${hookId}:digest`;
/** Anomaly id -> the minute it was placed in (+1 when sent singly): a re-notified anomaly is placed once. */
export const digestSeenKey = (hookId: string) => `${base(hookId)}:seen`;
export function digestMinuteKeys(hookId: string, minuteMs: number): string[] {
  const m = `${base(hookId)}:${minuteMs / MINUTE_MS}`;
  // singles: ids sent one by one; ranked: `<rank>|<id>`, all scores 0 (lexicographic); items: id -> item
  // JSON; state: absent while the minute collects, "closed" once its digest is built, "sent" once delivered.
  return [`${m}:singles`, `${m}:ranked`, `${m}:items`, `${m}:state`];
}

/**
 * Places one anomaly: sent singly while the minute's singles are under the cap, else into the minute's
 * digest. A minute whose digest is already built (a replica's clock behind, a late re-run) sends the anomaly
 * to the next minute instead, so nothing lands in a digest after it was read.
 * KEYS: seen, then singles/ranked/items/state of the minute and of the next one.
 * ARGV: id, cap, rank member, item JSON, minute ms, next minute ms, state TTL s, seen cutoff ms, seen TTL s.
 * Returns {placement, minute ms}; placement single|digest, dup-single|dup-digest when placed before, closed.
 */
const ADMIT = new LuaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[8])
local prev = redis.call('ZSCORE', KEYS[1], ARGV[1])
if prev then
  local p = tonumber(prev)
  if p % 2 == 1 then return {'dup-single', tostring(p - 1)} end
  return {'dup-digest', tostring(p)}
end
local k, m = 1, ARGV[5]
if redis.call('EXISTS', KEYS[5]) == 1 then
  if redis.call('EXISTS', KEYS[9]) == 1 then return {'closed', ARGV[6]} end
  k, m = 5, ARGV[6]
end
local ttl = tonumber(ARGV[7])
local single = redis.call('SCARD', KEYS[k + 1]) < tonumber(ARGV[2])
if single then
  redis.call('SADD', KEYS[k + 1], ARGV[1])
  redis.call('EXPIRE', KEYS[k + 1], ttl)
else
  redis.call('ZADD', KEYS[k + 2], 0, ARGV[3])
  redis.call('HSET', KEYS[k + 3], ARGV[1], ARGV[4])
  redis.call('EXPIRE', KEYS[k + 2], ttl)
  redis.call('EXPIRE', KEYS[k + 3], ttl)
end
redis.call('ZADD', KEYS[1], tonumber(m) + (single and 1 or 0), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[9]))
return {single and 'single' or 'digest', m}`);

/**
 * Closes a minute (later anomalies go to the next one) and reads it: {state, count, sentSingly, top items}.
 * Reading a closed minute again gives the same answer; a sent one answers {'sent'} only.
 * KEYS: singles, ranked, items, state. ARGV: TTL s, top.
 */
const CLOSE = new LuaScript(`
local state = redis.call('GET', KEYS[4])
if state == 'sent' then return {'sent'} end
redis.call('SET', KEYS[4], 'closed', 'EX', tonumber(ARGV[1]))
local folded = redis.call('ZCARD', KEYS[2])
local singles = redis.call('SCARD', KEYS[1])
local out = {'closed', folded + singles, singles}
local top = redis.call('ZREVRANGE', KEYS[2], 0, tonumber(ARGV[2]) - 1)
if #top > 0 then
  local ids = {}
  for i, m in ipairs(top) do ids[i] = string.sub(m, string.find(m, '|', 1, true) + 1) end
  local rows = redis.call('HMGET', KEYS[3], unpack(ids))
  for i = 1, #ids do out[#out + 1] = rows[i] or '' end
end
return out`);

export interface DigestStoreOptions {
  /** How long a minute's state lives when its digest job never runs. Default 1 day. */
  ttlS?: number;
  /** How long an anomaly id is remembered against placing it twice. Default 1 h. */
  seenWindowMs?: number;
}

export type Placement = 'single' | 'digest' | 'closed';

export interface Collected {
  count: number;
  sentSingly: number;
  top: DigestItem[];
}

/** The anomalies of each webhook's minutes: the per-minute cap, the digest to come, and whether it went out. */
export class DigestStore {
  private readonly ttlS: number;
  private readonly seenWindowMs: number;

  constructor(
    private readonly redis: RedisClient,
    opts: DigestStoreOptions = {},
  ) {
    this.ttlS = opts.ttlS ?? 86_400;
    // Re-scoring a trace (overlapping poll windows, a re-run job) happens within minutes; an hour of ids
    // stays small (about 30,000 a webhook at 500 anomalies a minute) where the 7-day job dedupe would not.
    this.seenWindowMs = opts.seenWindowMs ?? 3_600_000;
  }

  /**
   * Where the anomaly goes for this webhook in the minute of `nowMs`: `cap` single messages a minute (0: all
   * into the digest). Idempotent per anomaly: placing it again answers where it went the first time
   * (`fresh` false), so the caller can re-add the job it may have failed to add.
   */
  async admit(
    hookId: string,
    a: Anomaly,
    cap: number,
    nowMs: number,
  ): Promise<{ placement: Placement; minuteMs: number; fresh: boolean }> {
    const minute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const next = minute + MINUTE_MS;
    const keys = [
      digestSeenKey(hookId),
      ...digestMinuteKeys(hookId, minute),
      ...digestMinuteKeys(hookId, next),
    ];
    const args = [
      a.id,
      cap,
      rankMember(a),
      JSON.stringify(digestItem(a)),
      minute,
      next,
      this.ttlS,
      nowMs - this.seenWindowMs,
      Math.ceil(this.seenWindowMs / 1000) + 60,
    ];
    const [what, m] = (await ADMIT.run(this.redis, keys, args)) as [string, string];
    const fresh = !what.startsWith('dup-');
    const placement = (fresh ? what : what.slice(4)) as Placement;
    return { placement, minuteMs: Number(m), fresh };
  }

  /** Closes the minute and reads its digest; `sent` when it was delivered already. */
  async close(hookId: string, minuteMs: number): Promise<Collected | 'sent'> {
    const r = (await CLOSE.run(this.redis, digestMinuteKeys(hookId, minuteMs), [this.ttlS, DIGEST_TOP])) as (
      string | number
    )[];
    if (r[0] === 'sent') return 'sent';
    const top: DigestItem[] = [];
    for (const raw of r.slice(3)) if (typeof raw === 'string' && raw) top.push(JSON.parse(raw) as DigestItem);
    return { count: Number(r[1]), sentSingly: Number(r[2]), top };
  }

  /** Once the digest is kept in its job: the minute's anomalies are no longer needed. */
  async dropItems(hookId: string, minuteMs: number): Promise<void> {
    const [singles, ranked, items] = digestMinuteKeys(hookId, minuteMs);
    await this.redis.del(singles, ranked, items);
  }

  /** A delivered digest: a second job for the same webhook and minute sends nothing. */
  async markSent(hookId: string, minuteMs: number): Promise<void> {
    await this.redis.set(digestMinuteKeys(hookId, minuteMs)[3], 'sent', 'EX', this.ttlS);
  }
}
