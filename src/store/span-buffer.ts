import { keptResource, keptSpanAttributes } from '../trace/kept-attributes.js';
import type { RawSpan } from '../trace/span.js';
import type { RedisClient } from './redis-client.js';

/** One hash tag for the whole buffer: a MULTI moves many traces' keys at once, which a Redis Cluster allows
 *  only within one slot. The buffer holds spans for a settle time only, so one node carries it. */
const PENDING = 'th:{buf}:pending';
const spansKey = (traceId: string) => `th:{buf}:t:${traceId}`;

/**
 * What a pushed span keeps while it waits for its trace to settle: what scoring needs, the attributes the
 * core reads and its resource (see kept-attributes.ts).
 */
type BufferedSpan = Omit<RawSpan, 'attributes'> & { attributes?: RawSpan['attributes'] };

function compact(s: RawSpan, keep: readonly string[]): string {
  const b: BufferedSpan = {
    traceId: s.traceId,
    spanId: s.spanId,
    parentId: s.parentId,
    service: s.service,
    operation: s.operation,
    kind: s.kind,
    start: s.start,
    duration: s.duration,
    error: s.error,
    statusMessage: s.statusMessage,
    events: s.events,
    instance: s.instance,
    shared: s.shared,
    attributes: keptSpanAttributes(s.attributes, keep),
    resource: keptResource(s.resource),
  };
  return JSON.stringify(b);
}

function fromBuffered(json: string): RawSpan {
  const b = JSON.parse(json) as BufferedSpan;
  return { ...b, attributes: b.attributes ?? {}, resource: b.resource ?? {} };
}

/** A span as it comes out of the buffer: what scoring a pushed span sees, for checking against. */
export function bufferedCopy(s: RawSpan, keep: readonly string[] = []): RawSpan {
  return fromBuffered(compact(s, keep));
}

/**
 * Pushed spans (OTLP, Zipkin) arrive in pieces; a trace is scored once no span of it has arrived for the
 * settle time. Spans wait in one Redis list per trace, with a sorted set of traces by last arrival.
 * Hand-off is at-least-once: `settled` reads without deleting, the caller enqueues a scoring job with an
 * id derived from the trace ids, and only then calls `remove`; a crash in between re-delivers, and the
 * job id dedupes it.
 */
export class SpanBuffer {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlS = 3600,
    /** Span attributes kept beside KEPT_SPAN_ATTRIBUTES: the configured session attributes. */
    private readonly keep: readonly string[] = [],
  ) {}

  async add(spans: RawSpan[], nowMs = Date.now()): Promise<number> {
    if (spans.length === 0) return 0;
    const byTrace = new Map<string, string[]>();
    for (const s of spans) {
      let list = byTrace.get(s.traceId);
      if (!list) byTrace.set(s.traceId, (list = []));
      list.push(compact(s, this.keep));
    }
    const tx = this.redis.multi();
    for (const [traceId, list] of byTrace) {
      tx.rpush(spansKey(traceId), ...list);
      tx.expire(spansKey(traceId), this.ttlS);
      tx.zadd(PENDING, nowMs, traceId);
    }
    await tx.exec();
    return byTrace.size;
  }

  /** Traces whose last span arrived at least `settleMs` ago, oldest first, with their spans. */
  async settled(
    nowMs: number,
    settleMs: number,
    max = 500,
  ): Promise<Array<{ traceId: string; spans: RawSpan[] }>> {
    const ids = await this.redis.zrangebyscore(PENDING, '-inf', nowMs - settleMs, 'LIMIT', 0, max);
    if (ids.length === 0) return [];
    const tx = this.redis.multi();
    for (const id of ids) tx.lrange(spansKey(id), 0, -1);
    const res = (await tx.exec()) ?? [];
    return ids.map((traceId, i) => {
      const raw = (res[i]?.[1] as string[] | undefined) ?? [];
      return { traceId, spans: raw.map(fromBuffered) };
    });
  }

  /** Forgets traces once their scoring job is enqueued. */
  async remove(traceIds: string[]): Promise<void> {
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
