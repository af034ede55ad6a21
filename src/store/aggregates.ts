import { createHash, randomUUID } from 'node:crypto';
import { Aggregates, MinuteBucket, FIELD_PREFIX, type Verdict } from '../incidents/aggregates.js';
import { MINUTE_US, minuteOf } from '../incidents/signal.js';
import { STAT_HEADER } from '../incidents/target-stat.js';
import type { Trace } from '../trace/trace.js';
import { LuaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';

/**
 * Per-minute aggregates in Redis: one hash per minute (epoch minutes in the key), one field per endpoint,
 * edge, service and service quality, each value the positional JSON array of src/incidents. Every key
 * carries the hash tag `{agg}`, so a window is read in one pipeline even on a cluster; a minute is a few
 * KB (about 13 KB for the simulated shop at 50 traces/s), so one slot holds days of them.
 */
export const AGG_PREFIX = 'th:{agg}:min:';
export const aggregateKey = (minuteUs: number): string => `${AGG_PREFIX}${Math.floor(minuteUs / MINUTE_US)}`;
const markerKey = (batch: string, minuteUs: number) =>
  `th:{agg}:batch:${batch}:${Math.floor(minuteUs / MINUTE_US)}`;
/** How long a batch is remembered: retries come within minutes or hours. */
const MARKER_TTL_S = 86_400;

/** A batch's name: the hash of its trace ids, so the same batch scored again gets the same name. */
export function batchId(traces: readonly Trace[]): string {
  const h = createHash('sha1');
  for (const id of traces.map((t) => t.traceId).sort()) h.update(id);
  return h.digest('hex');
}

/**
 * Merges fields into one minute's hash in place: counters add, latency sketches add bucket by bucket after
 * aligning their offsets (all sketches share one bucket grid). Quality fields ("q:") are counters only.
 * Atomic per minute, so any number of workers may record the same minute at once. A batch's marker makes
 * a retried batch (a worker that died after writing) count once.
 * KEYS: the minute's hash, the batch's marker for that minute. ARGV: seconds to live, header length, marker
 * seconds to live, then field, JSON pairs. Returns 0 when the batch was already merged.
 */
const MERGE = new LuaScript(`
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) == false then return 0 end
local H = tonumber(ARGV[2])
for i = 4, #ARGV, 2 do
  local f = ARGV[i]
  local cur = redis.call('HGET', KEYS[1], f)
  local out = ARGV[i + 1]
  if cur then
    local a = cjson.decode(cur)
    local b = cjson.decode(ARGV[i + 1])
    if string.sub(f, 1, ${FIELD_PREFIX.quality.length}) == '${FIELD_PREFIX.quality}' then
      for j = 1, #b do a[j] = (a[j] or 0) + b[j] end
    else
      for j = 1, H do a[j] = a[j] + b[j] end
      local an = #a - H - 1
      local bn = #b - H - 1
      if bn > 0 then
        local ao = a[H + 1]
        local bo = b[H + 1]
        local lo = bo
        local hi = bo + bn
        if an > 0 then
          lo = math.min(ao, bo)
          hi = math.max(ao + an, bo + bn)
        end
        local c = {}
        for j = 1, hi - lo do c[j] = 0 end
        for j = 1, an do c[ao - lo + j] = c[ao - lo + j] + a[H + 1 + j] end
        for j = 1, bn do c[bo - lo + j] = c[bo - lo + j] + b[H + 1 + j] end
        for j = #a, H + 2, -1 do a[j] = nil end
        a[H + 1] = lo
        for j = 1, hi - lo do a[H + 1 + j] = c[j] end
      end
    end
    out = cjson.encode(a)
  end
  redis.call('HSET', KEYS[1], f, out)
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`);

export interface AggregateStoreOptions {
  /** How long a minute is kept after it ends, seconds. */
  retentionS: number;
  /** Most minutes one read may span (a week by default). */
  maxMinutes?: number;
  now?: () => number;
}

export class AggregateStore {
  private readonly maxMinutes: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: AggregateStoreOptions,
  ) {
    if (!(opts.retentionS > 0))
      throw new Error(`aggregate retention must be positive, got ${opts.retentionS}`);
    this.maxMinutes = opts.maxMinutes ?? 7 * 24 * 60;
    this.now = opts.now ?? Date.now;
  }

  /** Adds a scored batch to the minutes its traces start in; the same batch recorded again counts once. */
  async record(traces: readonly Trace[], verdicts?: readonly (Verdict | undefined)[]): Promise<void> {
    if (traces.length === 0) return;
    const agg = new Aggregates();
    agg.addBatch(traces, verdicts);
    await this.merge(agg, batchId(traces));
  }

  /**
   * Merges aggregates into the stored minutes; minutes already past retention are dropped. `batch` names
   * the write so a retry is recognised (default: a fresh name, always merged).
   */
  async merge(agg: Aggregates, batch: string = randomUUID()): Promise<void> {
    const nowS = Math.floor(this.now() / 1000);
    const writes: Promise<unknown>[] = [];
    for (const b of agg.buckets()) {
      // Relative to our clock, not Redis's: replayed or simulated traffic from the past keeps its retention.
      const ttl = Math.floor((b.minute + MINUTE_US) / 1e6) + this.opts.retentionS - nowS;
      if (ttl <= 0) continue;
      const args: (string | number)[] = [ttl, STAT_HEADER, Math.min(ttl, MARKER_TTL_S)];
      for (const [field, value] of b.fields()) args.push(field, JSON.stringify(value));
      writes.push(MERGE.run(this.redis, [aggregateKey(b.minute), markerKey(batch, b.minute)], args));
    }
    await Promise.all(writes);
  }

  /** The stored minutes starting in [fromUs, toUs], ascending; minutes with nothing stored are left out. */
  async buckets(fromUs: number, toUs: number): Promise<MinuteBucket[]> {
    const first = minuteOf(fromUs);
    const last = minuteOf(toUs);
    if (last < first) return [];
    const count = (last - first) / MINUTE_US + 1;
    if (count > this.maxMinutes)
      throw new RangeError(`window spans ${count} minutes; at most ${this.maxMinutes} can be read at once`);
    const minutes = Array.from({ length: count }, (_, i) => first + i * MINUTE_US);
    const pipe = this.redis.pipeline();
    for (const m of minutes) pipe.hgetall(aggregateKey(m));
    const replies = (await pipe.exec()) ?? [];
    const out: MinuteBucket[] = [];
    replies.forEach(([err, fields], i) => {
      if (err) throw err;
      const f = fields as Record<string, string>;
      if (Object.keys(f).length === 0) return;
      out.push(
        MinuteBucket.fromFields(minutes[i], Object.entries(f), `redis key ${aggregateKey(minutes[i])}`),
      );
    });
    return out;
  }

  async load(fromUs: number, toUs: number): Promise<Aggregates> {
    const agg = new Aggregates();
    for (const b of await this.buckets(fromUs, toUs)) agg.mergeBucket(b);
    return agg;
  }
}
