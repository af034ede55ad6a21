import { LuaScript } from './lua.js';
import { hashTag, type RedisClient } from './redis-client.js';
import type { Session, SessionSummary, SessionTrace } from './session-record.js';
import { isoFromMicros } from '../trace/iso-time.js';

/** One scored trace on its way to its session's index. */
export interface SessionEntry {
  session: string;
  /** The trace's start, µs since the epoch: its place in the session. */
  startUs: number;
  trace: SessionTrace;
}

export interface SessionStoreOptions {
  /** How long a session is kept after its last write, s (default 7 days: the anomaly store's retention). */
  maxAgeS?: number;
  /** Traces kept per session, the newest (default 1000). */
  maxTraces?: number;
  /** Sessions in the recent index, the most recently active (default 100 000). */
  maxSessions?: number;
  /** Recent sessions examined per prefix search (default 10 000). */
  maxScan?: number;
  now?: () => number;
}

export interface SessionQuery {
  /** Only sessions whose id starts with this (case-sensitive: ids are). */
  q?: string;
  limit?: number;
}

const RECENT = 'th:ses:recent';
/** Per session, under one hash tag so a script touches them together in a Redis Cluster. */
const keysOf = (id: string) => {
  const base = `th:ses:${hashTag(id)}`;
  return { traces: `${base}:t`, records: `${base}:r`, anomalous: `${base}:a` };
};
const BATCH = 500;

/**
 * KEYS: traces (trace id by start µs), records (trace id -> JSON), anomalous (the anomalous trace ids).
 * ARGV: ttl s, cap, then (trace id, start µs, record, anomalous 0/1) per trace. The trace id is the member
 * and the field, so writing a trace again (a retried batch, a re-poll) replaces it. Beyond the cap the
 * oldest traces go, with their records.
 */
const PUT = new LuaScript(`
local ttl, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 3, #ARGV, 4 do
  local id = ARGV[i]
  redis.call('ZADD', KEYS[1], ARGV[i + 1], id)
  redis.call('HSET', KEYS[2], id, ARGV[i + 2])
  if ARGV[i + 3] == '1' then redis.call('ZADD', KEYS[3], ARGV[i + 1], id) else redis.call('ZREM', KEYS[3], id) end
end
local over = redis.call('ZCARD', KEYS[1]) - cap
while over > 0 do
  local old = redis.call('ZRANGE', KEYS[1], 0, math.min(over, 1000) - 1)
  redis.call('ZREM', KEYS[1], unpack(old))
  redis.call('HDEL', KEYS[2], unpack(old))
  redis.call('ZREM', KEYS[3], unpack(old))
  over = over - #old
end
for k = 1, 3 do redis.call('EXPIRE', KEYS[k], ttl) end
return 1
`);

/**
 * Sessions in Redis: per session a sorted set of its scored traces by start, their records in a hash, and
 * its anomalous traces; beside them one index of sessions by their latest trace's start, for listing and
 * searching. Bounded per session (maxTraces) and in all (maxSessions, maxAgeS).
 */
export class SessionStore {
  private readonly maxAgeS: number;
  private readonly maxTraces: number;
  private readonly maxSessions: number;
  private readonly maxScan: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    opts: SessionStoreOptions = {},
  ) {
    this.maxAgeS = Math.ceil(opts.maxAgeS ?? 7 * 86400);
    this.maxTraces = opts.maxTraces ?? 1000;
    this.maxSessions = opts.maxSessions ?? 100_000;
    this.maxScan = opts.maxScan ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Adds scored traces to their sessions; writing the same trace again changes nothing but its record. */
  async put(entries: readonly SessionEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const bySession = new Map<string, SessionEntry[]>();
    for (const e of entries) {
      let g = bySession.get(e.session);
      if (!g) bySession.set(e.session, (g = []));
      g.push(e);
    }
    // One script per session (its keys share a slot); the recent index is elsewhere, written after.
    await Promise.all(
      [...bySession].map(([id, g]) => {
        const k = keysOf(id);
        const args: (string | number)[] = [this.maxAgeS, this.maxTraces];
        for (const e of g)
          args.push(e.trace.traceId, e.startUs, JSON.stringify(e.trace), e.trace.anomalous ? 1 : 0);
        return PUT.run(this.redis, [k.traces, k.records, k.anomalous], args);
      }),
    );
    const tx = this.redis.multi();
    for (const [id, g] of bySession) {
      const last = Math.max(...g.map((e) => e.startUs));
      // GT: a late trace from earlier in the session does not make it look less recent.
      tx.zadd(RECENT, 'GT', Math.floor(last / 1000), id);
    }
    tx.zremrangebyscore(RECENT, '-inf', `(${this.now() - this.maxAgeS * 1000}`);
    tx.zremrangebyrank(RECENT, 0, -(this.maxSessions + 1));
    await tx.exec();
  }

  /**
   * Sessions by their latest trace, newest first. With `q`, those whose id starts with it among the
   * maxScan most recently active, after the session named exactly `q` when there is one.
   */
  async list(query: SessionQuery = {}): Promise<SessionSummary[]> {
    const limit = query.limit ?? 50;
    const q = query.q ?? '';
    const out: SessionSummary[] = [];
    if (q) {
      const exact = await this.summary(q);
      if (exact) out.push(exact);
    }
    for (let start = 0; start < this.maxScan && out.length < limit; start += BATCH) {
      const ids = await this.redis.zrevrange(RECENT, start, start + BATCH - 1);
      const wanted = ids.filter((id) => id.startsWith(q) && id !== q);
      // Only as many as the page still needs: each summary is a round trip of its own slot.
      for (let i = 0; i < wanted.length && out.length < limit; i += 50) {
        const got = await Promise.all(wanted.slice(i, i + 50).map((id) => this.summary(id)));
        for (const s of got) if (s && out.length < limit) out.push(s);
      }
      if (ids.length < BATCH) break;
    }
    return out;
  }

  /** One session with its traces in time order; undefined when unknown (or expired). */
  async get(id: string): Promise<Session | undefined> {
    const k = keysOf(id);
    const res = await this.redis
      .multi()
      .zrange(k.traces, 0, -1, 'WITHSCORES')
      .hgetall(k.records)
      .zcard(k.anomalous)
      .exec();
    const order = (res?.[0]?.[1] as string[] | undefined) ?? [];
    const records = (res?.[1]?.[1] as Record<string, string> | undefined) ?? {};
    if (order.length === 0) return undefined;
    const items: SessionTrace[] = [];
    for (let i = 0; i < order.length; i += 2) {
      const raw = records[order[i]];
      if (raw) items.push(JSON.parse(raw) as SessionTrace);
    }
    return {
      id,
      traces: order.length / 2,
      anomalies: Number(res?.[2]?.[1] ?? 0),
      firstSeen: isoFromMicros(Number(order[1])),
      lastSeen: isoFromMicros(Number(order[order.length - 1])),
      items,
    };
  }

  private async summary(id: string): Promise<SessionSummary | undefined> {
    const k = keysOf(id);
    const res = await this.redis
      .multi()
      .zcard(k.traces)
      .zcard(k.anomalous)
      .zrange(k.traces, 0, 0, 'WITHSCORES')
      .zrange(k.traces, -1, -1, 'WITHSCORES')
      .exec();
    const traces = Number(res?.[0]?.[1] ?? 0);
    if (traces === 0) return undefined;
    const first = res?.[2]?.[1] as string[];
    const last = res?.[3]?.[1] as string[];
    return {
      id,
      traces,
      anomalies: Number(res?.[1]?.[1] ?? 0),
      firstSeen: isoFromMicros(Number(first[1])),
      lastSeen: isoFromMicros(Number(last[1])),
    };
  }
}
