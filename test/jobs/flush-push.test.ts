import { describe, expect, it } from 'vitest';
import { maintenanceProcessor } from '../../src/jobs/processors/maintenance.js';
import { SpanBuffer } from '../../src/store/span-buffer.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { useRedis } from '../helpers/redis.js';
import type { QueueJob } from '../../src/jobs/queues.js';
import type { RawSpan } from '../../src/trace/span.js';
import { raw } from '../helpers/spans.js';

/** A span buffer in memory holding `n` settled traces, read a page at a time as the Redis one is. */
function buffer(n: number) {
  const waiting = new Map<string, RawSpan[]>();
  for (let i = 0; i < n; i++) {
    const traceId = i.toString(16).padStart(32, '0');
    waiting.set(traceId, [raw({ spanId: '1', traceId })]);
  }
  return {
    waiting,
    settledIds: async (_now: number, _settle: number, max = 500) => [...waiting.keys()].slice(0, max),
    claim: async (ids: readonly string[]) => void ids.forEach((id) => waiting.delete(id)),
    lockDrain: async () => ({ extend: async () => true, release: async () => undefined }),
  };
}

const FLUSH = { name: 'flush-push' } as QueueJob;
const settings = { pushSettleS: 1, retentionS: 60, retentionMax: 10 };
const anomalies = { prune: async () => ({ byAge: 0, byCount: 0 }), migrateLegacyIndex: async () => 0 };

describe('flush-push', () => {
  it('hands every settled trace to scoring in one run, not one page per run', async () => {
    const spanBuffer = buffer(1_234);
    const queued: string[] = [];
    const run = maintenanceProcessor({
      anomalies,
      spanBuffer,
      settings,
      enqueueBuffered: async (ids) => void queued.push(...ids),
    });
    expect(await run(FLUSH)).toEqual({ traces: 1_234 });
    expect(new Set(queued).size).toBe(1_234);
    expect(spanBuffer.waiting.size).toBe(0);
  });

  it('leaves settled traces in the buffer while the score queue is backed up', async () => {
    const spanBuffer = buffer(700);
    let backlog = 0;
    const run = maintenanceProcessor({
      anomalies,
      spanBuffer,
      settings,
      enqueueBuffered: async () => void (backlog += 60),
      scoreBacklog: async () => backlog,
    });
    // One page goes (the queue was empty), then the queue is over its bound and the rest waits.
    expect(await run(FLUSH)).toEqual({ traces: 500 });
    expect(spanBuffer.waiting.size).toBe(200);
    backlog = 0;
    expect(await run(FLUSH)).toEqual({ traces: 200 });
  });

  describe('on Redis, with several workers', () => {
    let client: RedisClient;
    useRedis((c) => (client = c));

    it('hands each settled trace on once when flush jobs overlap on two workers', async () => {
      const spanBuffer = new SpanBuffer(client);
      const ids = Array.from({ length: 1_200 }, (_, i) => i.toString(16).padStart(32, '0'));
      await spanBuffer.add(
        ids.map((traceId) => raw({ spanId: '1', traceId })),
        1_000,
      );
      const queued: string[] = [];
      const run = maintenanceProcessor({
        anomalies,
        spanBuffer,
        settings,
        // Adding a job takes a round trip: long enough for the other worker's flush to read the same page.
        enqueueBuffered: async (ids) => {
          await new Promise((r) => setTimeout(r, 30));
          queued.push(...ids);
        },
      });
      const results = await Promise.all([run(FLUSH), run(FLUSH)]);
      // One drained everything, the other found the drain taken; a later flush finds nothing left.
      expect(queued.length).toBe(1_200);
      expect(new Set(queued).size).toBe(1_200);
      expect(results.map((r) => (r as { traces: number }).traces).sort((a, b) => a - b)).toEqual([0, 1_200]);
      expect(await run(FLUSH)).toEqual({ traces: 0 });
      expect(await spanBuffer.pending()).toBe(0);
      // Claimed, not dropped: the spans wait for the score jobs that name them.
      const { traces } = await spanBuffer.read(ids.slice(0, 3));
      expect(traces.map((t) => t.spans.length)).toEqual([1, 1, 1]);
    });
  });
});
