/**
 * How long a training job stops the event loop of the process that runs it: the longest stall (perf_hooks
 * monitorEventLoopDelay) while one endpoint trains from its reservoir, on this thread and on a thread of its
 * own. While the loop is stopped, the HTTP API answers nothing and BullMQ renews no locks.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startRedis } from '../src/app/private-redis.js';
import { generate } from '../src/sim/index.js';
import { normalizeTrace } from '../src/trace/normalize.js';
import type { Trace } from '../src/trace/trace.js';
import { TraceReservoir } from '../src/store/reservoir.js';
import { ModelRegistry } from '../src/registry/redis-registry.js';
import { trainEndpoint, type TrainOutcome } from '../src/jobs/trainer.js';
import { runTrainTask } from '../src/jobs/train-task.js';
import { endpointKeyOf } from '../src/trace/endpoint-key.js';

export interface Stall {
  /** Longest event-loop stall, ms. */
  maxStallMs: number;
  /** Wall time of the job, ms. */
  jobMs: number;
}

/** Runs `job` while sampling the event loop's delay every 10 ms. */
export async function measureStall<T>(job: () => Promise<T>): Promise<Stall & { value: T }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  // The histogram records from its second tick on: let it take its first before the job may stall.
  await new Promise((r) => setTimeout(r, 30));
  const t0 = performance.now();
  const value = await job();
  const jobMs = performance.now() - t0;
  // One more turn of the loop, so that a stall at the very end is sampled too.
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  return { maxStallMs: h.max / 1e6, jobMs, value };
}

/** The busiest endpoint of a simulated shop's normal traffic, `count` traces of it. */
export function endpointTraffic(count: number, seed = 3): { endpoint: string; traces: Trace[] } {
  const byEndpoint = new Map<string, Trace[]>();
  for (const spans of generate('shop-normal', { seed, traces: count * 4 }).traces) {
    const t = normalizeTrace(spans[0].traceId, spans);
    const key = endpointKeyOf(t);
    byEndpoint.set(key, [...(byEndpoint.get(key) ?? []), t]);
  }
  const [endpoint, traces] = [...byEndpoint].sort((a, b) => b[1].length - a[1].length)[0];
  return { endpoint, traces: traces.slice(0, count) };
}

export async function runTrainStallBench(
  opts: { traces?: number } = {},
): Promise<Record<string, string | number>> {
  const redis = await startRedis({ appendonly: false });
  const client = new Redis(redis.url);
  try {
    const { endpoint, traces } = endpointTraffic(opts.traces ?? 2000);
    const reservoir = new TraceReservoir(client);
    await reservoir.addTraces(traces);
    const deps = { reservoir, registry: new ModelRegistry(client), minTraces: 100 };
    const out: Record<string, string | number> = { endpoint, traces: traces.length };
    // What the machine alone costs an idle loop (other processes taking the cores): the floor of any stall.
    const idle = await measureStall(() => new Promise((r) => setTimeout(r, 5000)));
    out['idle loop'] = `longest stall ${Math.round(idle.maxStallMs)} ms in 5 s`;
    for (const [name, run] of [
      ['main thread', runTrainTask],
      ['own thread', undefined],
    ] as const) {
      const r = await measureStall<TrainOutcome>(() => trainEndpoint(endpoint, { ...deps, run }));
      out[name] = `longest stall ${Math.round(r.maxStallMs)} ms in a ${(r.jobMs / 1000).toFixed(1)} s job`;
    }
    return out;
  } finally {
    client.disconnect();
    await redis.close();
  }
}
