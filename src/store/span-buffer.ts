import { keptResource, keptSpanAttributes } from '../trace/kept-attributes.js';
import { SPAN_KINDS, type Attributes, type RawSpan } from '../trace/span.js';
import { LuaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';
import { takeLock, type RedisLock } from './redis-lock.js';

/** One hash tag for the whole buffer: a MULTI moves many traces' keys at once, which a Redis Cluster allows
 *  only within one slot. The buffer holds spans for a settle time only, so one node carries it. */
const PENDING = 'th:{buf}:pending';
const spansKey = (traceId: string) => `th:{buf}:t:${traceId}`;
const DRAIN_LOCK = 'th:{buf}:drain';

/**
 * Appends each trace's chunk to its list and marks the trace as just heard from, for a whole push in one
 * call. KEYS: the pending set, then one list per trace; ARGV: ttl, now, then per trace its id and chunk.
 */
const ADD = new LuaScript(`
local ttl, now = ARGV[1], ARGV[2]
for i = 2, #KEYS do
  redis.call('RPUSH', KEYS[i], ARGV[2 * i])
  redis.call('EXPIRE', KEYS[i], ttl)
  redis.call('ZADD', KEYS[1], now, ARGV[2 * i - 1])
end
return #KEYS - 1
`);

/** Every list of KEYS, in order. */
const READ = new LuaScript(`
local out = {}
for i = 1, #KEYS do out[i] = redis.call('LRANGE', KEYS[i], 0, -1) end
return out
`);

/**
 * A trace's spans from one push, packed: the distinct (kept) resources once, then one positional row per
 * span (see Row). A span keeps what scoring needs, the attributes the core reads and its resource (see
 * kept-attributes.ts).
 */
interface Chunk {
  r: Attributes[];
  s: Row[];
}
/** spanId, parentId, service, operation, kind (index in SPAN_KINDS), start, duration, error (0/1),
 *  statusMessage, events, instance, resource (index in Chunk.r), kept attributes, shared (0/1). */
type Row = [
  string,
  string | null,
  string,
  string,
  number,
  number | null,
  number | null,
  number,
  string | null,
  number,
  string | null,
  number,
  Attributes | null,
  number,
];

/** The span form an older version buffered (one JSON object per span); still read, for a rolling upgrade. */
type LegacySpan = Omit<RawSpan, 'attributes' | 'resource'> & {
  attributes?: Attributes;
  resource?: Attributes;
};

function pack(spans: RawSpan[], keep: readonly string[], kept: Map<Attributes, Attributes>): string {
  const r: Attributes[] = [];
  const index = new Map<Attributes, number>();
  const s = spans.map((sp): Row => {
    let ri = index.get(sp.resource);
    if (ri === undefined) {
      let k = kept.get(sp.resource);
      if (!k) kept.set(sp.resource, (k = keptResource(sp.resource)));
      index.set(sp.resource, (ri = r.length));
      r.push(k);
    }
    return [
      sp.spanId,
      sp.parentId ?? null,
      sp.service,
      sp.operation,
      SPAN_KINDS.indexOf(sp.kind),
      sp.start ?? null,
      sp.duration ?? null,
      sp.error ? 1 : 0,
      sp.statusMessage ?? null,
      sp.events,
      sp.instance ?? null,
      ri,
      keptSpanAttributes(sp.attributes, keep) ?? null,
      sp.shared ? 1 : 0,
    ];
  });
  return JSON.stringify({ r, s } satisfies Chunk);
}

function unpack(traceId: string, text: string, into: RawSpan[]): void {
  const v = JSON.parse(text) as Chunk | LegacySpan;
  if (!('s' in v)) {
    into.push({ ...v, attributes: v.attributes ?? {}, resource: v.resource ?? {} });
    return;
  }
  // One object per distinct resource, shared by its spans as the readers share them.
  for (const x of v.s) {
    const span: RawSpan = {
      traceId,
      spanId: x[0],
      service: x[2],
      operation: x[3],
      kind: SPAN_KINDS[x[4]] ?? 'internal',
      error: x[7] === 1,
      events: x[9],
      attributes: x[12] ?? {},
      resource: v.r[x[11]] ?? {},
    };
    if (x[1] !== null) span.parentId = x[1];
    if (x[5] !== null) span.start = x[5];
    if (x[6] !== null) span.duration = x[6];
    if (x[8] !== null) span.statusMessage = x[8];
    if (x[10] !== null) span.instance = x[10];
    if (x[13] === 1) span.shared = true;
    into.push(span);
  }
}

export interface BufferedTrace {
  traceId: string;
  spans: RawSpan[];
}

/** A span as it comes out of the buffer: what scoring a pushed span sees, for checking against. */
export function bufferedCopy(s: RawSpan, keep: readonly string[] = []): RawSpan {
  const out: RawSpan[] = [];
  unpack(s.traceId, pack([s], keep, new Map()), out);
  return out[0];
}

/**
 * Pushed spans (OTLP, Zipkin) arrive in pieces; a trace is scored once no span of it has arrived for the
 * settle time. Spans wait in one Redis list per trace (an element per push, its spans packed), with a
 * sorted set of traces by last arrival. A push is one round trip whatever its size. Hand-off is
 * at-least-once and by name: the flush lists the settled trace ids, enqueues a scoring job that names them
 * (its id derived from theirs), and only then `claim`s them; a crash in between re-delivers, and the job id
 * dedupes it. The spans stay here until that job has `read` and scored them and calls `remove`, so they
 * cross Redis once rather than three times (buffer, flush, job payload), and a retried job finds them again.
 */
export class SpanBuffer {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlS = 3600,
    /** Span attributes kept beside KEPT_SPAN_ATTRIBUTES: the configured session attributes. */
    readonly keep: readonly string[] = [],
  ) {}

  async add(spans: RawSpan[], nowMs = Date.now()): Promise<number> {
    if (spans.length === 0) return 0;
    const byTrace = new Map<string, RawSpan[]>();
    for (const s of spans) {
      const list = byTrace.get(s.traceId);
      if (list) list.push(s);
      else byTrace.set(s.traceId, [s]);
    }
    const keys = [PENDING];
    const args: (string | number)[] = [this.ttlS, nowMs];
    const kept = new Map<Attributes, Attributes>();
    for (const [traceId, list] of byTrace) {
      keys.push(spansKey(traceId));
      args.push(traceId, pack(list, this.keep, kept));
    }
    await ADD.run(this.redis, keys, args);
    return byTrace.size;
  }

  /** Traces whose last span arrived at least `settleMs` ago, oldest first. */
  settledIds(nowMs: number, settleMs: number, max = 500): Promise<string[]> {
    return this.redis.zrangebyscore(PENDING, '-inf', nowMs - settleMs, 'LIMIT', 0, max);
  }

  /**
   * The spans buffered for each trace, in one round trip; a trace with none left (scored and removed
   * already) has none. A chunk that cannot be read is left out and counted in `unreadable`: one bad
   * write must not cost its batch.
   */
  async read(traceIds: readonly string[]): Promise<{ traces: BufferedTrace[]; unreadable: number }> {
    if (traceIds.length === 0) return { traces: [], unreadable: 0 };
    const lists = (await READ.run(this.redis, traceIds.map(spansKey), [])) as string[][];
    let unreadable = 0;
    const traces = traceIds.map((traceId, i) => {
      const spans: RawSpan[] = [];
      for (const text of lists[i] ?? [])
        try {
          unpack(traceId, text, spans);
        } catch {
          unreadable++;
        }
      return { traceId, spans };
    });
    return { traces, unreadable };
  }

  /**
   * The right to drain for `ttlMs`, or undefined while another drain holds it. Listing settled traces does
   * not claim them, so two drains at once (the flush job runs every 2 s, on whichever worker is free, and a drain
   * can take longer) would hand the same traces on twice: scored twice, counted once, twice the CPU.
   */
  lockDrain(ttlMs: number): Promise<RedisLock | undefined> {
    return takeLock(this.redis, DRAIN_LOCK, ttlMs);
  }

  /**
   * Takes traces off the settled list once a scoring job that names them is queued; their spans stay until
   * that job has scored them and calls `remove` (a job retried after a crash reads them again).
   */
  async claim(traceIds: readonly string[]): Promise<void> {
    if (traceIds.length > 0) await this.redis.zrem(PENDING, ...traceIds);
  }

  /** Forgets traces and their spans. */
  async remove(traceIds: readonly string[]): Promise<void> {
    if (traceIds.length === 0) return;
    const tx = this.redis.multi();
    tx.zrem(PENDING, ...traceIds);
    tx.del(...traceIds.map(spansKey));
    await tx.exec();
  }

  async pending(): Promise<number> {
    return this.redis.zcard(PENDING);
  }
}
