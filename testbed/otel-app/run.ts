/**
 * Runs the testbed by hand: `npx tsx testbed/otel-app/run.ts [short|long] [--runs N] [--json FILE]`.
 * Prints a markdown table on stdout (progress on stderr); `--json` also writes the raw results.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { runTestbed, type RunResult } from './harness.js';
import { PLANS } from './plans.js';
import { markdownReport } from './report.js';

export async function runPlan(name: string, runs: number): Promise<RunResult[]> {
  const plan = PLANS[name];
  if (!plan) throw new Error(`unknown plan "${name}"; known: ${Object.keys(PLANS).join(', ')}`);
  const out: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    process.stderr.write(`[otel-app] run ${i + 1} of ${runs}\n`);
    out.push(await runTestbed(plan));
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const name = argv[0] && !argv[0].startsWith('--') ? argv[0] : 'short';
  const at = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const runs = Number(at('--runs') ?? 1);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs wants a positive integer, got "${at('--runs')}"`);
  const results = await runPlan(name, runs);
  const json = at('--json');
  if (json) writeFileSync(json, JSON.stringify(results, null, 1) + '\n');
  console.log(markdownReport(results));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
