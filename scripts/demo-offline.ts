/**
 * npm run demo: the main job on the built-in simulated shop. It learns the shop's normal traffic, then
 * scores ten minutes in which faults are injected on a timer, and prints the ranked anomalies with their
 * suggested root causes beside what was really injected.
 *
 *   npm run demo [-- --seed N]
 */
import { generate } from '../src/sim/index.js';
import { normalizeTrace } from '../src/trace/normalize.js';
import type { Trace } from '../src/trace/trace.js';
import { trainModelSet } from '../src/scoring/train.js';
import { rankedTable } from '../src/cli/analyze.js';
import { stageProgress } from '../src/cli/train.js';

const seedArg = process.argv.indexOf('--seed');
const seed = seedArg > 0 ? Number(process.argv[seedArg + 1]) : 1;

function traces(
  scenario: string,
  s: number,
): { traces: Trace[]; truth: ReturnType<typeof generate>['truth'] } {
  const g = generate(scenario, { seed: s, durationS: 600 });
  return { traces: g.traces.map((spans) => normalizeTrace(spans[0].traceId, spans)), truth: g.truth };
}

process.stderr.write('simulating 10 minutes of normal shop traffic to learn from...\n');
const normal = traces('shop-normal', seed);
const p = stageProgress(false);
const model = await trainModelSet(normal.traces, { seed, onProgress: p.onProgress });
p.stop();
process.stderr.write(
  `trained on ${normal.traces.length} traces; simulating 10 minutes with faults on a timer...\n`,
);

const live = traces('demo', seed + 1);
const scored = model.score(live.traces);
const anomalous = scored.filter((s) => s.anomalous);
console.log(`\n${live.traces.length} traces scored, ${anomalous.length} anomalous\n`);
console.log(rankedTable(scored, 15));

console.log('Injected faults and what Tracehound said about their traces:\n');
const truthById = new Map(live.truth.traces.map((t) => [t.traceId, t]));
for (const f of live.truth.faults) {
  const affected = scored.filter((s) => truthById.get(s.traceId)?.faults.includes(f.id));
  const flagged = affected.filter((s) => s.anomalous);
  const hits = flagged.filter((s) => s.rootCauses[0]?.service === f.rootCause.service).length;
  console.log(
    `- ${f.type.padEnd(18)} on ${f.rootCause.service.padEnd(18)} ${String(flagged.length).padStart(4)}/${String(affected.length).padEnd(4)} traces flagged, ` +
      `top cause = ${f.rootCause.service} for ${flagged.length ? Math.round((100 * hits) / flagged.length) : 0}% of them`,
  );
}
model.dispose();
