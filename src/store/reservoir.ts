import { randomInt } from 'node:crypto';
import { normalizeTrace } from '../trace/normalize.js';
import { SPAN_KINDS, type RawSpan } from '../trace/span.js';
import { endpointOf, type Trace } from '../trace/trace.js';
import { LuaScript } from './lua.js';
import { hashTag, type RedisClient } from './redis-client.js';

const PREFIX = 'th:res:';
const ENDPOINTS_KEY = `${PREFIX}endpoints`;
/** The hash field holding how many traces the endpoint has seen; slots are fields "0".."capacity-1". */
const SEEN = 'n';
/** The resource attribute the features read (service versions); kept so a rebuilt trace profiles the same. */
const VERSION_ATTRIBUTE = 'service.version';

/**
 * Algorithm R in one step: count the trace, then keep it in slot seen-1 while filling, else in a uniformly
 * drawn slot j < seen when j < capacity. The uniform draw comes from the caller (ARGV[3] in [0,1)) so the
 * script stays deterministic for replication. One key, so each endpoint's reservoir may live on any node of
 * a Redis Cluster. KEYS: the endpoint hash. ARGV: capacity, trace JSON, uniform. Returns the slot or -1.
 */
const ADD = new LuaScript(`
local cap = tonumber(ARGV[1])
local n = redis.call('HINCRBY', KEYS[1], '${SEEN}', 1)
local slot = -1
if n <= cap then slot = n - 1 else
  local j = math.floor(tonumber(ARGV[3]) * n)
  if j < cap then slot = j end
end
if slot >= 0 then redis.call('HSET', KEYS[1], tostring(slot), ARGV[2]) end
return slot
`);

/** [spanId, parentId, service, operation, kind, start, duration, error, instance, version, statusMessage] */
type CompactSpan = [string, string, string, string, number, number, number, 0 | 1, string, string, string];
interface CompactTrace {
  t: string;
  s: CompactSpan[];
}

export function compactTrace(trace: Trace): string {
  const s = trace.spans.map((sp): CompactSpan => {
    const v = sp.resource[VERSION_ATTRIBUTE];
    return [
      sp.spanId,
      sp.parentId ?? '',
      sp.service,
      sp.operation,
      SPAN_KINDS.indexOf(sp.kind),
      sp.start,
      sp.duration,
      sp.error ? 1 : 0,
      sp.instance ?? '',
      typeof v === 'string' ? v : '',
      sp.statusMessage ?? '',
    ];
  });
  return JSON.stringify({ t: trace.traceId, s } satisfies CompactTrace);
}

export function expandTrace(json: string): Trace {
  const c = JSON.parse(json) as CompactTrace;
  const raw = c.s.map((x): RawSpan => ({
    traceId: c.t,
    spanId: x[0],
    ...(x[1] ? { parentId: x[1] } : {}),
    service: x[2],
    operation: x[3],
    kind: SPAN_KINDS[x[4]] ?? 'internal',
    start: x[5],
    duration: x[6],
    error: x[7] === 1,
    ...(x[8] ? { instance: x[8] } : {}),
    ...(x[10] ? { statusMessage: x[10] } : {}),
    attributes: {},
    resource: x[9] ? { [VERSION_ATTRIBUTE]: x[9] } : {},
    events: 0,
  }));
  // Stored spans were normalized already; skew correction would only move them twice.
  return normalizeTrace(c.t, raw, { clockSkew: false });
}

export interface ReservoirOptions {
  /** Traces kept per endpoint (default 5000). */
  capacity?: number;
  /** Uniform [0,1) source, for seeded tests. */
  random?: () => number;
}

/**
 * A training reservoir per endpoint (`service:operation`): a bounded uniform sample of all traffic seen since
 * the last reset, kept in one Redis hash per endpoint so each add is one atomic script.
 */
export class TraceReservoir {
  readonly capacity: number;
  private readonly random: () => number;

  constructor(
    private readonly redis: RedisClient,
    opts: ReservoirOptions = {},
  ) {
    this.capacity = opts.capacity ?? 5000;
    if (!Number.isInteger(this.capacity) || this.capacity < 1)
      throw new Error(`reservoir capacity must be a positive integer, got ${this.capacity}`);
    this.random = opts.random ?? (() => randomInt(0, 2 ** 47) / 2 ** 47);
  }

  /** Offers one trace; returns whether it was kept. */
  async add(endpoint: string, trace: Trace): Promise<boolean> {
    // Listed before the first trace lands, so a crash in between leaves an empty listing, never a lost one.
    await this.redis.sadd(ENDPOINTS_KEY, endpoint);
    return this.offer(endpoint, trace);
  }

  /** Offers each trace to its own endpoint's reservoir (the root span's service:operation). */
  async addTraces(traces: readonly Trace[]): Promise<number> {
    if (traces.length === 0) return 0;
    const endpoints = traces.map((t) => {
      const ep = endpointOf(t);
      return `${ep.service}:${ep.operation}`;
    });
    await this.redis.sadd(ENDPOINTS_KEY, ...new Set(endpoints));
    const kept = await Promise.all(traces.map((t, i) => this.offer(endpoints[i], t)));
    return kept.filter(Boolean).length;
  }

  private async offer(endpoint: string, trace: Trace): Promise<boolean> {
    const slot = await ADD.run(
      this.redis,
      [key(endpoint)],
      [this.capacity, compactTrace(trace), this.random()],
    );
    return Number(slot) >= 0;
  }

  async size(endpoint: string): Promise<number> {
    return Math.max(0, (await this.redis.hlen(key(endpoint))) - 1);
  }

  /** How many traces the endpoint has offered since its last reset. */
  async seen(endpoint: string): Promise<number> {
    return Number((await this.redis.hget(key(endpoint), SEEN)) ?? 0);
  }

  async sample(endpoint: string): Promise<Trace[]> {
    const h = await this.redis.hgetall(key(endpoint));
    const out: Trace[] = [];
    for (const [f, v] of Object.entries(h)) if (f !== SEEN) out.push(expandTrace(v));
    return out;
  }

  async endpoints(): Promise<string[]> {
    return (await this.redis.smembers(ENDPOINTS_KEY)).sort();
  }

  /** Empties an endpoint's reservoir (two keys in different cluster slots: not atomic, and need not be). */
  async reset(endpoint: string): Promise<void> {
    await this.redis.srem(ENDPOINTS_KEY, endpoint);
    await this.redis.del(key(endpoint));
  }
}

/** One hash per endpoint, tagged by its name so a Redis Cluster spreads reservoirs over its nodes. */
function key(endpoint: string): string {
  return PREFIX + hashTag(endpoint);
}
