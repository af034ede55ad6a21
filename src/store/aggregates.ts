import { Aggregates, MinuteBucket, FIELD_PREFIX, type Verdict } from '../traffic/minute-buckets.js';
import { MINUTE_US, minuteOf } from '../traffic/minute.js';
import { STAT_HEADER } from '../traffic/target-stat.js';
import { endpointOf, type Trace } from '../trace/trace.js';
import { endpointName, parseEndpointName } from './anomaly-keys.js';
import { claimLua, writeOnce } from './count-once.js';
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
/** The trace ids a minute has counted (see count-once.ts). */
export const countedKey = (minuteUs: number): string =>
  `th:{agg}:counted:${Math.floor(minuteUs / MINUTE_US)}`;
/** Scored and anomalous traces per endpoint since the start, fields `<endpoint name>|scored|anomalous`. */
export const TRAFFIC_KEY = 'th:{agg}:traffic';

export interface TrafficCount {
  service: string;
  operation: string;
  scored: number;
  anomalous: number;
}

/**
 * Merges fields into one minute's hash in place, for traces no earlier write counted: counters add,
 * latency sketches add bucket by bucket after aligning their offsets (all sketches share one bucket grid).
 * Quality fields ("q:") are counters only. The endpoints' running traffic totals are added in the same
 * script, so they count each trace once too. Atomic per minute, so any number of workers may record the
 * same minute at once.
 * KEYS: the minute's hash, its counted ids, the traffic totals. ARGV: seconds to live, header length,
 * seconds the ids are remembered, id count, ids, traffic field count, traffic field / increment pairs,
 * then field / JSON pairs. Returns the ids counted already (nothing written), else an empty list.
 */
const MERGE = new LuaScript(`
${claimLua(2, 3, 4)}
local m = tonumber(ARGV[at])
for i = at + 1, at + 2 * m, 2 do redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1]) end
local H = tonumber(ARGV[2])
for i = at + 2 * m + 1, #ARGV, 2 do
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
return {}
`);

export interface AggregateStoreOptions {
  /** How long a minute is kept after it ends, seconds. */
  retentionS: number;
  /** Most minutes one read may span (a week by default). */
  maxMinutes?: number;
  /**
   * How long after a minute ends its traces are remembered as counted, seconds (default 7200: more than the
   * pollers' first look-back of an hour, and the reference hour the incident signals judge).
   */
  countedS?: number;
  now?: () => number;
}

export class AggregateStore {
  private readonly maxMinutes: number;
  private readonly now: () => number;
  private readonly countedS: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: AggregateStoreOptions,
  ) {
    if (!(opts.retentionS > 0))
      throw new Error(`aggregate retention must be positive, got ${opts.retentionS}`);
    this.maxMinutes = opts.maxMinutes ?? 7 * 24 * 60;
    this.now = opts.now ?? Date.now;
    this.countedS = opts.countedS ?? 7200;
  }

  /**
   * Adds scored traces to the minutes they start in. A trace counts once: recorded again, alone or in
   * another batch, within `countedS` of its minute's end, it is left out. Minutes past retention are dropped
   * (their traces are returned as counted: nothing remembers them). Returns the ids counted by this call.
   */
  async record(traces: readonly Trace[], verdicts?: readonly (Verdict | undefined)[]): Promise<Set<string>> {
    const nowS = Math.floor(this.now() / 1000);
    const items = traces.map((trace, i) => ({ trace, verdict: verdicts?.[i] }));
    return writeOnce(
      items,
      (it) => it.trace.traceId,
      (it) => minuteOf(it.trace.start),
      async (minute, group) => {
        const ttl = this.ttlOf(minute, nowS);
        if (ttl <= 0) return [];
        const agg = new Aggregates();
        const traffic = new Map<string, number>();
        const count = (field: string) => traffic.set(field, (traffic.get(field) ?? 0) + 1);
        for (const { trace, verdict } of group) {
          agg.add(trace, verdict);
          const { service, operation } = endpointOf(trace);
          count(`${endpointName(service, operation)}|scored`);
          if (verdict?.anomalous) count(`${endpointName(service, operation)}|anomalous`);
        }
        const args: (string | number)[] = [ttl, STAT_HEADER, Math.min(ttl, this.countedS), group.length];
        for (const it of group) args.push(it.trace.traceId);
        args.push(traffic.size);
        for (const [field, n] of traffic) args.push(field, n);
        for (const [field, value] of agg.bucket(minute)?.fields() ?? [])
          args.push(field, JSON.stringify(value));
        const keys = [aggregateKey(minute), countedKey(minute), TRAFFIC_KEY];
        return (await MERGE.run(this.redis, keys, args)) as string[];
      },
    );
  }

  /**
   * Merges minutes aggregated elsewhere as they are: they carry no trace ids, so nothing is counted once
   * (imports of pre-aggregated history, and tests). Minutes past retention are dropped.
   */
  async merge(agg: Aggregates): Promise<void> {
    const nowS = Math.floor(this.now() / 1000);
    const writes: Promise<unknown>[] = [];
    for (const b of agg.buckets()) {
      const ttl = this.ttlOf(b.minute, nowS);
      if (ttl <= 0) continue;
      const args: (string | number)[] = [ttl, STAT_HEADER, 1, 0, 0];
      for (const [field, value] of b.fields()) args.push(field, JSON.stringify(value));
      writes.push(MERGE.run(this.redis, [aggregateKey(b.minute), countedKey(b.minute), TRAFFIC_KEY], args));
    }
    await Promise.all(writes);
  }

  /** Scored and anomalous traces per endpoint, each trace counted once (see record). */
  async traffic(): Promise<TrafficCount[]> {
    const out = new Map<string, TrafficCount>();
    for (const [f, v] of Object.entries(await this.redis.hgetall(TRAFFIC_KEY))) {
      const bar = f.lastIndexOf('|');
      const ep = f.slice(0, bar);
      let t = out.get(ep);
      if (!t) out.set(ep, (t = { ...parseEndpointName(ep), scored: 0, anomalous: 0 }));
      if (f.slice(bar + 1) === 'scored') t.scored = Number(v);
      else t.anomalous = Number(v);
    }
    return [...out.values()];
  }

  /** Seconds a minute has left; relative to our clock, not Redis's, so replayed traffic keeps its retention. */
  private ttlOf(minute: number, nowS: number): number {
    return Math.floor((minute + MINUTE_US) / 1e6) + this.opts.retentionS - nowS;
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
