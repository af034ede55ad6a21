import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import type { RedisClient } from '../../src/store/redis-client.js';
import { useRedis } from '../helpers/redis.js';
import { MemoryPollerState } from '../../src/sources/state.js';
import { ingestProgress, oldestPending } from '../../src/jobs/ingest-progress.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const US = (ms: number) => ms * 1000;

let queue: Queue;
beforeAll(() => {
  queue = new Queue('score-test', { connection: redis, prefix: '{t}' });
});
afterAll(async () => {
  await queue.close();
});

const source = (services: string[] | Error) => ({
  name: 'jaeger',
  services: async () => {
    if (services instanceof Error) throw services;
    return services;
  },
});

describe('ingestProgress', () => {
  it('takes the lowest watermark of the services the backend lists, and waits for one not polled yet', async () => {
    const state = new MemoryPollerState(() => NOW);
    await state.setWatermark('jaeger', 'frontend', US(NOW - 5_000));
    const p1 = await ingestProgress(state, [source(['frontend', 'cart'])], queue, () => NOW);
    expect(p1.watermark).toBeNull();
    await state.setWatermark('jaeger', 'cart', US(NOW - 9_000));
    const p2 = await ingestProgress(state, [source(['frontend', 'cart'])], queue, () => NOW);
    expect(p2).toEqual({ watermark: US(NOW - 9_000), readAt: NOW, oldestPendingAt: undefined });
    // A backend that cannot say what it has: nothing is known.
    expect((await ingestProgress(state, [source(new Error('down'))], queue, () => NOW)).watermark).toBeNull();
    // Nothing polled at all: time alone decides.
    expect((await ingestProgress(undefined, [], queue, () => NOW)).watermark).toBeUndefined();
  });

  it('follows the services where traces begin once they are known, and leaves stale watermarks out', async () => {
    const state = new MemoryPollerState(() => NOW);
    await state.setWatermark('jaeger', 'frontend', US(NOW - 2_000));
    // A service polled now and then (not a root) lags; one that vanished hours ago lags more.
    await state.setWatermark('jaeger', 'cart', US(NOW - 200_000));
    await state.setWatermark('jaeger', 'gone', US(NOW - 3 * 3600_000));
    await state.noteRoots('jaeger', ['frontend'], NOW - 60_000);
    const lister = source(['frontend', 'cart', 'gone']);
    expect((await ingestProgress(state, [lister], queue, () => NOW)).watermark).toBe(US(NOW - 2_000));
    const all = new MemoryPollerState(() => NOW);
    await all.setWatermark('jaeger', 'frontend', US(NOW - 2_000));
    await all.setWatermark('jaeger', 'gone', US(NOW - 3 * 3600_000));
    expect((await ingestProgress(all, [source(['frontend', 'gone'])], queue, () => NOW)).watermark).toBe(
      US(NOW - 2_000),
    );
  });
});

describe('oldestPending', () => {
  it('finds the enqueue time of the oldest job not finished, waiting or delayed', async () => {
    expect(await oldestPending(queue)).toBeUndefined();
    // Enqueued in time order, as real jobs are.
    await queue.add('score', {}, { timestamp: NOW - 9000 });
    await queue.add('score', {}, { timestamp: NOW - 3000 });
    await queue.add('score', {}, { timestamp: NOW - 1000 });
    expect(await oldestPending(queue)).toBe(NOW - 9000);
    // A retry waiting out its backoff keeps its first enqueue time.
    await queue.add('score', {}, { timestamp: NOW - 20_000, delay: 60_000 });
    expect(await oldestPending(queue)).toBe(NOW - 20_000);
    await queue.obliterate({ force: true });
    expect(await oldestPending(queue)).toBeUndefined();
  });
});
