import { randomBytes } from 'node:crypto';
import { IncidentSchema, type Incident } from '../incidents/incident.js';
import {
  ACTIONS_KEY,
  BY_START_KEY,
  LOCK_KEY,
  REV_KEY,
  STATE_KEY,
  checkIncidentId,
  incidentKey,
  startMember,
  statusKey,
} from './incident-keys.js';
import { LuaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';
import { QueryError, decodeCursor, encodeCursor, encodeTime, idOfMember } from './sort-key.js';
import { serviceOfEndpointKey } from '../trace/endpoint-key.js';

export interface IncidentQuery {
  status?: Incident['status'];
  /** Incidents naming this service: among the root causes or as the service of an affected endpoint. */
  service?: string;
  /** Epoch ms: incidents overlapping [from, to] (an open one reaches to now). */
  from?: number;
  to?: number;
  /** Default 50, at most 500. */
  limit?: number;
  cursor?: string;
}

export interface IncidentPage {
  items: Incident[];
  /** Present when the index may hold more; the next page can still come back empty after filtering. */
  nextCursor?: string;
}

export interface IncidentStoreOptions {
  /** Record TTL, refreshed on every update: a backstop for when prune never runs (default 30 days). */
  maxAgeS?: number;
  /** Index entries examined per list call before it returns a partial page with a cursor (default 5000). */
  maxScan?: number;
  now?: () => number;
}

export type UpsertOutcome = 'created' | 'updated' | 'stale';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const BATCH = 200;

/**
 * Writes a revision of an incident unless the store already holds that revision or a newer one, and moves
 * its index entries in the same step, so a replayed job can never take an incident back in time.
 * KEYS: record, rev hash, by-start, status:open, status:resolved
 * ARGV: id, json, revision, member, status, ttl s
 * Returns 1 created, 2 updated, 0 stale.
 */
const UPSERT = new LuaScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
local rev = tonumber(ARGV[3])
if cur then
  local tab = string.find(cur, '\\t', 1, true)
  if tonumber(string.sub(cur, 1, tab - 1)) >= rev then return 0 end
  local old = string.sub(cur, tab + 1)
  if old ~= ARGV[4] then
    redis.call('ZREM', KEYS[3], old)
    redis.call('ZREM', KEYS[4], old)
    redis.call('ZREM', KEYS[5], old)
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[6])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3] .. '\\t' .. ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[4])
if ARGV[5] == 'open' then
  redis.call('ZADD', KEYS[4], 0, ARGV[4])
  redis.call('ZREM', KEYS[5], ARGV[4])
else
  redis.call('ZADD', KEYS[5], 0, ARGV[4])
  redis.call('ZREM', KEYS[4], ARGV[4])
end
if cur then return 2 end
return 1
`);

/**
 * Removes one incident and its index entries. KEYS: record, rev hash, by-start, status:open,
 * status:resolved. ARGV: id, member (used when the rev entry is already gone).
 */
const REMOVE = new LuaScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
local m = ARGV[2]
if cur then m = string.sub(cur, string.find(cur, '\\t', 1, true) + 1) end
redis.call('ZREM', KEYS[3], m)
redis.call('ZREM', KEYS[4], m)
redis.call('ZREM', KEYS[5], m)
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
`);

const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

const KEYS_OF = (id: string) => [
  incidentKey(id),
  REV_KEY,
  BY_START_KEY,
  statusKey('open'),
  statusKey('resolved'),
];

/**
 * Incidents in Redis: one JSON string per incident (its latest revision) and lexicographic sorted-set
 * indexes by start time, overall and per status. Also the incident job's state and its lock: the job is the
 * only writer, so that state needs no more than the lock.
 */
export class IncidentStore {
  private readonly maxAgeS: number;
  private readonly maxScan: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    opts: IncidentStoreOptions = {},
  ) {
    this.maxAgeS = opts.maxAgeS ?? 30 * 86400;
    this.maxScan = opts.maxScan ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  /** Stores a revision of an incident; an older or equal revision than the stored one changes nothing. */
  async upsert(input: Incident): Promise<UpsertOutcome> {
    const inc = IncidentSchema.parse(input);
    checkIncidentId(inc.id);
    const r = Number(
      await UPSERT.run(this.redis, KEYS_OF(inc.id), [
        inc.id,
        JSON.stringify(inc),
        inc.revision,
        startMember(inc.start, inc.id),
        inc.status,
        Math.max(1, Math.ceil(this.maxAgeS)),
      ]),
    );
    return r === 1 ? 'created' : r === 2 ? 'updated' : 'stale';
  }

  async get(id: string): Promise<Incident | undefined> {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(id)) return undefined;
    const raw = await this.redis.get(incidentKey(id));
    return raw ? (JSON.parse(raw) as Incident) : undefined;
  }

  /** The windows (µs) of incidents open or ending since `sinceMs`: an open one reaches to now. */
  async windows(sinceMs: number): Promise<Array<{ fromUs: number; toUs: number }>> {
    const out: Array<{ fromUs: number; toUs: number }> = [];
    let cursor: string | undefined;
    do {
      const page = await this.list({ from: sinceMs, limit: MAX_LIMIT, cursor });
      for (const i of page.items)
        out.push({
          fromUs: Date.parse(i.start) * 1000,
          toUs: (i.status === 'open' ? this.now() : Date.parse(i.end)) * 1000,
        });
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  }

  /** Newest start first. */
  async list(q: IncidentQuery = {}): Promise<IncidentPage> {
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(q.limit ?? DEFAULT_LIMIT)));
    if (q.from !== undefined && q.to !== undefined && q.from > q.to)
      throw new QueryError('from', 'from must not be after to');
    const key = q.status ? statusKey(q.status) : BY_START_KEY;
    // An incident that starts after `to` cannot overlap the range: the start index bounds the scan.
    let max = q.to !== undefined ? '(' + encodeTime(q.to + 1) : '+';
    if (q.cursor !== undefined) {
      const last = decodeCursor(q.cursor, 'time');
      if (max === '+' || last < max.slice(1)) max = '(' + last;
    }
    const keep = (i: Incident): boolean => {
      if (q.status !== undefined && i.status !== q.status) return false;
      if (q.from !== undefined && i.status === 'resolved' && Date.parse(i.end) < q.from) return false;
      if (q.to !== undefined && Date.parse(i.start) > q.to) return false;
      if (q.service !== undefined && !namesService(i, q.service)) return false;
      return true;
    };
    const items: Incident[] = [];
    let scanned = 0;
    for (;;) {
      const members = await this.redis.zrange(key, max, '-', 'BYLEX', 'REV', 'LIMIT', 0, BATCH);
      if (members.length === 0) return { items };
      const raws = await this.redis.mget(members.map((m) => incidentKey(idOfMember(m))));
      for (let i = 0; i < members.length; i++) {
        scanned++;
        const raw = raws[i];
        if (raw) {
          const inc = JSON.parse(raw) as Incident;
          if (keep(inc)) items.push(inc);
        }
        if (items.length === limit || scanned >= this.maxScan) {
          const more = i < members.length - 1 || members.length === BATCH;
          return more ? { items, nextCursor: encodeCursor('time', members[i]) } : { items };
        }
      }
      if (members.length < BATCH) return { items };
      max = '(' + members[members.length - 1];
    }
  }

  /**
   * Retention: resolved incidents that started more than maxAgeS ago, then the oldest resolved ones beyond
   * maxCount. Open incidents are live and never pruned.
   */
  async prune(opts: { maxAgeS: number; maxCount: number }): Promise<{ byAge: number; byCount: number }> {
    const resolved = statusKey('resolved');
    const cutoff = '(' + encodeTime(this.now() - opts.maxAgeS * 1000);
    let byAge = 0;
    for (;;) {
      const old = await this.redis.zrange(resolved, '-', cutoff, 'BYLEX', 'LIMIT', 0, BATCH);
      if (old.length === 0) break;
      byAge += await this.removeMembers(old);
    }
    let byCount = 0;
    for (;;) {
      const excess = Math.min(
        (await this.redis.zcard(BY_START_KEY)) - opts.maxCount,
        await this.redis.zcard(resolved),
      );
      if (excess <= 0) break;
      const oldest = await this.redis.zrange(resolved, 0, Math.min(excess, BATCH) - 1);
      byCount += await this.removeMembers(oldest);
    }
    return { byAge, byCount };
  }

  async remove(id: string): Promise<boolean> {
    checkIncidentId(id);
    return Number(await REMOVE.run(this.redis, KEYS_OF(id), [id, ''])) === 1;
  }

  private async removeMembers(members: string[]): Promise<number> {
    let n = 0;
    for (const m of members) {
      const id = idOfMember(m);
      n += Number(await REMOVE.run(this.redis, KEYS_OF(id), [id, m]));
    }
    return n;
  }

  /** Queues an action for the holder of the job's lock to apply (opaque to the store). */
  async pushAction(action: unknown): Promise<void> {
    await this.redis.rpush(ACTIONS_KEY, JSON.stringify(action));
  }

  /** The queued actions, oldest first; they stay queued until dropActions. */
  async pendingActions<T>(): Promise<T[]> {
    return (await this.redis.lrange(ACTIONS_KEY, 0, -1)).map((raw) => JSON.parse(raw) as T);
  }

  /** Drops the `n` oldest queued actions, once they are applied (a crash in between applies them again). */
  async dropActions(n: number): Promise<void> {
    if (n > 0) await this.redis.ltrim(ACTIONS_KEY, n, -1);
  }

  /** The incident job's state, as it saved it; undefined before its first run. */
  async loadState<T>(): Promise<T | undefined> {
    const raw = await this.redis.get(STATE_KEY);
    return raw ? (JSON.parse(raw) as T) : undefined;
  }

  async saveState(state: unknown): Promise<void> {
    await this.redis.set(STATE_KEY, JSON.stringify(state));
  }

  /** Takes the job's lock for ttlMs; returns a token to release it with, or undefined when someone holds it. */
  async lock(ttlMs: number): Promise<string | undefined> {
    const token = randomBytes(12).toString('hex');
    const ok = await this.redis.set(LOCK_KEY, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    return ok === 'OK' ? token : undefined;
  }

  async unlock(token: string): Promise<void> {
    await RELEASE.run(this.redis, [LOCK_KEY], [token]);
  }
}

/** Whether an incident names a service: as a root cause or as the service of an affected endpoint. */
export function namesService(i: Pick<Incident, 'rootCauses' | 'endpoints'>, service: string): boolean {
  return (
    i.rootCauses.some((c) => c.service === service) ||
    i.endpoints.some((e) => serviceOfEndpointKey(e) === service)
  );
}
