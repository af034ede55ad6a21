import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { TraceReservoir } from '../../src/store/reservoir.js';
import { ModelRegistry } from '../../src/registry/redis-registry.js';
import { trainEndpoint } from '../../src/jobs/trainer.js';
import { runTrainTask } from '../../src/jobs/train-task.js';
import { trainInThread } from '../../src/jobs/train-thread.js';
import { endpointTraffic, measureStall } from '../../bench/train-stall.js';
import { useRedis } from '../helpers/redis.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

describe('training off the event loop', () => {
  it('keeps the loop turning while an endpoint trains, where training inline stops it', async () => {
    // 400 traces: 320 to fit, 64 of them held out to calibrate the endpoint models the thread must train.
    const { endpoint, traces } = endpointTraffic(400);
    const reservoir = new TraceReservoir(redis);
    await reservoir.addTraces(traces);
    const registry = new ModelRegistry(redis);
    const deps = { reservoir, registry, minTraces: 350 };

    const threaded = await measureStall(() => trainEndpoint(endpoint, deps));
    expect(threaded.value).toMatchObject({ endpoint, version: 1, promoted: true });
    // TensorFlow.js trained on the thread too.
    expect((await registry.versions(endpoint))[0].manifest.metrics.autoencoders).toBe(1);
    // The same job on this thread (less of it: no autoencoder) shows that the measurement tells the difference.
    const inline = await measureStall(() =>
      trainEndpoint(endpoint, { ...deps, run: runTrainTask, train: { autoencoder: false } }),
    );
    // Relative, not a wall-clock bound: on a busy machine both stalls grow, the inline one with the training.
    const both = `threaded ${threaded.maxStallMs.toFixed(0)} ms, inline ${inline.maxStallMs.toFixed(0)} ms`;
    expect(threaded.maxStallMs, both).toBeLessThan(inline.maxStallMs / 2);

    // What the thread handed back is a whole model: published, active, and it scores traffic.
    const model = await registry.load(endpoint, 1);
    expect(model.score(traces.slice(0, 50))).toHaveLength(50);
    model.dispose();
    // The second version was judged against the first, loaded from its files inside the task.
    expect(inline.value.reason).toMatch(/held-out false-positive error .* vs active/);
  }, 60_000);

  it('rejects with the endpoint and the cause when the task fails on its thread', async () => {
    const task = {
      endpoint: 'shop:GET /',
      sample: Buffer.from('{"t":"1","s":[\n'),
      abnormal: [],
      minTraces: 1,
      train: {},
    };
    await expect(trainInThread(task)).rejects.toThrow(/^training shop:GET \/: .*JSON/);
  }, 30_000);
});
