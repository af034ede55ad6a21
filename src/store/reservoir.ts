import { randomInt } from 'node:crypto';
import { reportMissingRoot } from '../trace/adjusters/missing-root.js';
import { keptResource, keptSpanAttributes } from '../trace/kept-attributes.js';
import { SPAN_KINDS, type Attributes, type Span } from '../trace/span.js';
import { tracesByEndpoint } from '../trace/endpoint-key.js';
import { buildTrace, type Trace } from '../trace/trace.js';
import { hashTag, type RedisClient } from './redis-client.js';

const PREFIX = 'th:res:';
const ENDPOINTS_KEY = `${PREFIX}endpoints`;
/** The hash field holding how many traces the endpoint has seen; slots are fields "0".."capacity-1". */
const SEEN = 'n';
/**
 * [spanId, parentId, service, operation, kind, start, duration, error, instance, version, statusMessage,
 *  resource index, kept attributes]: positional, so a busy minute's queue and a reservoir stay small. The
 * version field is from before resources were kept (traces stored then still read); resources are shared
 * per process, so each distinct one is stored once per trace.
 */
type PackedSpan = [
  string,
  string,
  string,
  string,
  number,
  number,
  number,
  0 | 1,
  string,
  string,
  string,
  number?,
  Attributes?,
];
export interface CompactTrace {
  t: string;
  s: PackedSpan[];
  /** Distinct resources of the trace's spans. */
  r?: Attributes[];
}

const VERSION_ATTRIBUTE = 'service.version';

/** `keep`: span attributes kept beside KEPT_SPAN_ATTRIBUTES (see keptSpanAttributes). */
export function compactTrace(trace: Trace, keep: readonly string[] = []): string {
  return JSON.stringify(packTrace(trace, keep));
}

/**
 * compactTrace before JSON: what a score job carries, so that the job's own JSON holds it as is (a string
 * inside the job's JSON would be escaped and parsed twice).
 */
export function packTrace(trace: Trace, keep: readonly string[] = []): CompactTrace {
  const resources: Attributes[] = [];
  const index = new Map<object, number>();
  const s = trace.spans.map((sp): PackedSpan => {
    let r = index.get(sp.resource);
    if (r === undefined) {
      index.set(sp.resource, (r = resources.length));
      resources.push(keptResource(sp.resource));
    }
    const kept = keptSpanAttributes(sp.attributes, keep);
    const c: PackedSpan = [
      sp.spanId,
      sp.parentId ?? '',
      sp.service,
      sp.operation,
      SPAN_KINDS.indexOf(sp.kind),
      sp.start,
      sp.duration,
      sp.error ? 1 : 0,
      sp.instance ?? '',
      '',
      sp.statusMessage ?? '',
      r,
    ];
    if (kept) c.push(kept);
    return c;
  });
  return { t: trace.traceId, s, r: resources };
}

/** A compact trace as JSON (reservoirs, older score jobs) or as packTrace made it (score jobs). */
export function expandTrace(compact: string | CompactTrace): Trace {
  const c = typeof compact === 'string' ? (JSON.parse(compact) as CompactTrace) : compact;
  // One object per distinct resource, shared by its spans as the readers share them.
  const resources = (c.r ?? []).map((r) => ({ ...r }));
  const raw = c.s.map((x): Span => {
    // Optional fields assigned rather than spread in: a spread allocates an object per field and span.
    const span: Span = {
      traceId: c.t,
      spanId: x[0],
      service: x[2],
      operation: x[3],
      kind: SPAN_KINDS[x[4]] ?? 'internal',
      start: x[5],
      duration: x[6],
      error: x[7] === 1,
      attributes: x[12] ?? {},
      resource:
        x[11] !== undefined && resources[x[11]]
          ? resources[x[11]]
          : x[9]
            ? { [VERSION_ATTRIBUTE]: x[9] }
            : {},
      events: 0,
    };
    if (x[1]) span.parentId = x[1];
    if (x[8]) span.instance = x[8];
    if (x[10]) span.statusMessage = x[10];
    return span;
  });
  // Stored spans were normalized already: the adjusters would change nothing (and skew correction would
  // move them twice), so the tree is built straight away; only the missing-root note is taken again. One
  // span index serves both.
  const warnings: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < raw.length; i++) index.set(raw[i].spanId, i);
  const spans = reportMissingRoot(raw, { traceId: c.t, warn: (m) => warnings.push(m), index });
  return buildTrace(c.t, spans, warnings, index);
}

const NEWLINE = Buffer.from('\n');

/** The traces of sampleBytes' buffer (JSON escapes newlines inside strings: a line is one trace). */
export function splitCompactTraces(data: Uint8Array): Trace[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: Trace[] = [];
  for (let start = 0; start < buf.length;) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    if (end > start) out.push(expandTrace(buf.toString('utf8', start, end)));
    start = end + 1;
  }
  return out;
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
    return (await this.offer(endpoint, [trace])) > 0;
  }

  /** Offers each trace to its own endpoint's reservoir (the root span's service:operation); returns how many were kept. */
  async addTraces(traces: readonly Trace[]): Promise<number> {
    if (traces.length === 0) return 0;
    const byEndpoint = tracesByEndpoint(traces);
    await this.redis.sadd(ENDPOINTS_KEY, ...byEndpoint.keys());
    const kept = await Promise.all([...byEndpoint].map(([ep, group]) => this.offer(ep, group)));
    return kept.reduce((a, b) => a + b, 0);
  }

  /**
   * Algorithm R for a batch: one HINCRBY reserves the batch's positions in the endpoint's count atomically,
   * then the i-th offer of the count is kept in slot i-1 while filling, else in a uniformly drawn slot
   * j < i when j < capacity (a later offer of the batch replacing an earlier one in the same slot, as in
   * order). Only kept traces are written: once the reservoir is full almost every offer is dropped, and
   * sending those to Redis was most of its cost. One key per endpoint, so it works on a Redis Cluster.
   */
  private async offer(endpoint: string, group: readonly Trace[]): Promise<number> {
    const k = key(endpoint);
    const last = await this.redis.hincrby(k, SEEN, group.length);
    const slots = new Map<number, Trace>();
    group.forEach((t, i) => {
      const nth = last - group.length + 1 + i;
      const slot = nth <= this.capacity ? nth - 1 : Math.floor(this.random() * nth);
      if (slot < this.capacity) slots.set(slot, t);
    });
    if (slots.size > 0)
      await this.redis.hset(
        k,
        Object.fromEntries([...slots].map(([slot, t]) => [String(slot), compactTrace(t)])),
      );
    return slots.size;
  }

  /**
   * Counts `n` offers as seen without keeping any: the odds of later offers are then those of a reservoir
   * that has seen that much traffic (benchmarks of a service in its steady state).
   */
  async countSeen(endpoint: string, n: number): Promise<void> {
    await this.redis.hincrby(key(endpoint), SEEN, n);
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

  /**
   * Up to `max` traces of the sample, from slots spread evenly over it: a uniform sample of a uniform
   * sample, read in one round trip, for readers that need what normal traffic looks like but not all of it
   * (5,000 traces take seconds to read and profile; a few hundred show the median and the commonest
   * shape just as well). Even spacing, not a random draw, so that asking twice gives the same traces.
   */
  async spread(endpoint: string, max: number): Promise<Trace[]> {
    const size = await this.size(endpoint);
    if (size <= max) return this.sample(endpoint);
    const fields = Array.from({ length: max }, (_, i) => String(Math.floor((i * size) / max)));
    const values = await this.redis.hmget(key(endpoint), ...fields);
    return values.filter((v): v is string => v !== null).map(expandTrace);
  }

  /**
   * The sample as stored, for another thread to expand (splitCompactTraces): one buffer, compact traces one
   * a line, whose memory can be handed over without a copy. Read in batches, so that no single reply of
   * many megabytes is parsed in one go on this thread.
   */
  async sampleBytes(endpoint: string, batch = 200): Promise<{ data: Buffer; count: number }> {
    const seen = new Set<string>();
    const parts: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, kv] = await this.redis.hscanBuffer(key(endpoint), cursor, 'COUNT', batch);
      cursor = next.toString();
      for (let i = 0; i < kv.length; i += 2) {
        const field = kv[i].toString();
        // HSCAN may return a field twice when the hash grows meanwhile.
        if (field === SEEN || seen.has(field)) continue;
        seen.add(field);
        parts.push(kv[i + 1], NEWLINE);
      }
    } while (cursor !== '0');
    return { data: Buffer.concat(parts), count: seen.size };
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
