/**
 * npm run bench [-- name...]: runs the benchmarks and prints their figures (medians of several runs).
 */
import { runParseBench } from './parse.js';
import { runScoreBench } from './score.js';

type Bench = { name: string; run: () => Promise<Record<string, unknown>> | Record<string, unknown> };

const BENCHES: Bench[] = [
  { name: 'parse', run: async () => ({ ...(await runParseBench()) }) },
  { name: 'score', run: () => runScoreBench() },
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
