/**
 * The aggregate layer runs on every scored trace: its throughput (spans/s through Aggregates.add), and the
 * size of one minute as the Redis store keeps it (field names + JSON values) for the simulated shop at
 * 50 traces/s.
 */
import { Aggregates } from '../src/traffic/minute-buckets.js';
import { generate } from '../src/sim/generate.js';
import { getScenario } from '../src/sim/scenarios.js';
import { normalizeTrace } from '../src/trace/normalize.js';
import type { Trace } from '../src/trace/trace.js';
import { median } from '../src/detectors/median.js';
import { timeIt } from './timing.js';

function shopTraces(rate: number, durationS: number): Trace[] {
  const sc = getScenario('shop-normal');
  // A flat daily shape: exactly `rate` traces/s on average.
  const g = generate(
    { ...sc, workload: { ...sc.workload, rate, dailyAmplitude: 0 } },
    { seed: 5, durationS },
  );
  return g.traces.map((spans) => normalizeTrace(spans[0].traceId, spans));
}

export function runAggregatesBench(runs = 5): Record<string, number> {
  const traces = shopTraces(50, 600);
  const spans = traces.reduce((n, t) => n + t.spans.length, 0);
  // Every 100th trace anomalous, blamed on its first service: heat and anomalous counts get exercised.
  const verdicts = traces.map((t, i) => ({
    anomalous: i % 100 === 0,
    rootCauses: [{ service: t.spans[0].service, kind: 'latency' as const, contribution: 1, evidence: '' }],
  }));
  const times: number[] = [];
  let agg = new Aggregates();
  for (let r = 0; r < runs; r++) {
    agg = new Aggregates();
    times.push(timeIt(() => agg.addBatch(traces, verdicts)));
  }
  const secs = median(times) / 1000;
  const minutes = agg.buckets();
  // Only whole minutes: the run's last one may be cut short.
  const sizes = minutes
    .slice(0, -1)
    .map((b) => b.fields().reduce((n, [f, v]) => n + Buffer.byteLength(f) + JSON.stringify(v).length, 0));
  const mergeTimes: number[] = [];
  for (let r = 0; r < runs; r++) mergeTimes.push(timeIt(() => new Aggregates().merge(agg).merge(agg)));
  return {
    traces: traces.length,
    spans,
    addSeconds: secs,
    spansPerSecond: spans / secs,
    tracesPerSecond: traces.length / secs,
    bytesPerMinute: median(sizes),
    fieldsPerMinute: median(minutes.slice(0, -1).map((b) => b.fields().length)),
    mergeMsPerMinute: median(mergeTimes) / 2 / minutes.length,
  };
}
