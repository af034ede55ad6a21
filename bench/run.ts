/**
 * npm run bench [-- name...]: runs the benchmarks and prints their figures (medians of several runs).
 */
import { runParseBench } from './parse.js';
import { runScoreBench } from './score.js';
import { runCliScoreBench } from './cli-score.js';
import { runLinearityBench } from './linearity.js';
import { runIsolationForestBench } from './isolation-forest.js';
import { runAggregatesBench } from './aggregates.js';
import { runIncidentEvidenceBench } from './incident-evidence.js';
import { runServiceBench } from './service.js';
import { runScaleBench } from './scale.js';
import { runPushBench } from './push.js';
import { runUiBench } from './ui.js';
import { runTrainStallBench } from './train-stall.js';
import { runCompareBench } from './compare.js';
import { runMemoryBench } from './memory.js';

/** Our isolation forest against ml-isolation-forest 0.1.0, on synthetic data and the TraceAnomaly vectors. */
async function forestBench(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const x of await runIsolationForestBench({ log: (l) => process.stderr.write(l + '\n') }))
    out[`${x.dataset} / ${x.implementation}`] =
      `train ${x.trainSeconds.toFixed(2)} s, ${Math.round(x.scoreRowsPerSecond)} rows/s, ROC-AUC ${x.rocAuc.toFixed(4)}`;
  return out;
}

type Bench = { name: string; run: () => Promise<Record<string, unknown>> | Record<string, unknown> };

const BENCHES: Bench[] = [
  { name: 'parse', run: async () => ({ ...(await runParseBench()) }) },
  { name: 'score', run: () => runScoreBench() },
  // `tracehound score` in its own process beside a bare JSON.parse of the same file, and its start-up.
  { name: 'cli-score', run: () => runCliScoreBench() },
  { name: 'forest', run: forestBench },
  { name: 'linearity', run: () => runLinearityBench({ log: (l) => process.stderr.write(l + '\n') }) },
  { name: 'aggregates', run: () => runAggregatesBench() },
  { name: 'incident-evidence', run: () => runIncidentEvidenceBench() },
  // The event loop while a model trains, on the main thread and on its own (needs redis-server).
  { name: 'train-stall', run: () => runTrainStallBench() },
  // The service end to end: Jaeger simulator -> polling -> scoring -> Redis -> webhooks (needs redis-server).
  { name: 'service', run: () => runServiceBench({ log: (l) => process.stderr.write(l + '\n') }) },
  // Spans per CPU-second with 1, 2 and 3 service processes on one Redis: scaling per core (needs redis-server).
  { name: 'scale', run: () => runScaleBench({ log: (l) => process.stderr.write(l + '\n') }) },
  // The push path: OTLP protobuf (BENCH_PUSH_PROTOCOL=http|grpc) -> one process -> scored (needs redis-server).
  { name: 'push', run: () => runPushBench({ log: (l) => process.stderr.write(l + '\n') }) },
  // `train` and `score` on Nezha Online Boutique (1.2M spans): peak RSS and CPU seconds (skipped without it).
  { name: 'memory', run: () => runMemoryBench({ log: (l) => process.stderr.write(l + '\n') }) },
  // Compare with normal: reading a full reservoir's normal traces, choosing the typical one, diffing.
  { name: 'compare', run: () => runCompareBench() },
  // The web UI's first screen over 100,000 stored anomalies (needs redis-server and chromium).
  { name: 'ui', run: () => runUiBench({ log: (l) => process.stderr.write(l + '\n') }) },
];

const wanted = process.argv.slice(2);
for (const b of BENCHES) {
  if (wanted.length && !wanted.includes(b.name)) continue;
  process.stderr.write(`bench ${b.name}...\n`);
  const result = await b.run();
  console.log(`\n## ${b.name}`);
  for (const [k, v] of Object.entries(result))
    console.log(
      `${k.padEnd(18)} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(3)) : String(v)}`,
    );
}
