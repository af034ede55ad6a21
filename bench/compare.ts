/**
 * What `GET /v1/anomalies/{id}/compare` costs beside its reads: reading normal traces of the endpoint from a
 * full reservoir (5,000), choosing the typical one and diffing, with the bounded spread the service reads
 * (400) against the whole reservoir. Medians of several runs.
 */
import { Redis } from 'ioredis';
import { trainBaseline } from '../src/detectors/baseline/index.js';
import { compareTraces } from '../src/explain/compare.js';
import { viewSpans } from '../src/explain/span-context.js';
import { typicalTrace } from '../src/explain/typical-trace.js';
import { startRedis } from '../src/app/private-redis.js';
import { TraceReservoir } from '../src/store/reservoir.js';
import type { Trace } from '../src/trace/trace.js';
import { endpointTraffic } from './train-stall.js';
import { median } from '../src/detectors/median.js';

export async function runCompareBench(
  opts: { traces?: number; runs?: number } = {},
): Promise<Record<string, string | number>> {
  const redis = await startRedis({ appendonly: false });
  const client = new Redis(redis.url);
  try {
    const count = opts.traces ?? 5000;
    const { endpoint, traces } = endpointTraffic(count + 1);
    const [anomaly, ...normal] = traces;
    const reservoir = new TraceReservoir(client, { capacity: count });
    await reservoir.addTraces(normal);
    const baseline = trainBaseline(normal.slice(0, 2000));
    const out: Record<string, string | number> = {
      endpoint,
      'reservoir traces': await reservoir.size(endpoint),
      'spans per trace (median)': median(normal.map((t) => t.spans.length)),
    };
    for (const [name, read] of [
      ['spread of 400', () => reservoir.spread(endpoint, 400)],
      ['whole reservoir', () => reservoir.sample(endpoint)],
    ] as const) {
      const times = { read: [] as number[], choose: [] as number[], diff: [] as number[] };
      let picked = '';
      for (let r = 0; r < (opts.runs ?? 5); r++) {
        let t = performance.now();
        const sample: Trace[] = await read();
        times.read.push(performance.now() - t);
        t = performance.now();
        const typical = typicalTrace(sample)!;
        times.choose.push(performance.now() - t);
        t = performance.now();
        compareTraces(anomaly, typical.trace, { baseline, normalProfile: typical.profile });
        viewSpans(typical.trace, baseline, typical.profile);
        times.diff.push(performance.now() - t);
        picked = `${typical.sameShape} of ${typical.candidates} share its shape`;
      }
      out[name] =
        `read ${ms(times.read)}, choose ${ms(times.choose)}, diff ${ms(times.diff)} (median ms); ${picked}`;
    }
    return out;
  } finally {
    client.disconnect();
    await redis.close();
  }
}

const ms = (xs: number[]) => median(xs).toFixed(1);
