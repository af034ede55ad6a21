/**
 * Runs evaluation suites and writes their tables, curves and notebooks under notebooks/ (see notebooks/README.md).
 *
 *   npx tsx scripts/eval.ts <suite|sim|all|list> [--data DIR] [--seed N] [--sample N] [--out DIR]
 *   npx tsx scripts/eval.ts report [--out DIR]   (notebooks and README from saved results, no run)
 *   npx tsx scripts/eval.ts otel-app [--runs N] [--out DIR]   (the OpenTelemetry testbed, long plan, N runs)
 *
 * `all` runs every suite whose dataset is present (real-data ones are skipped with a note otherwise), then the
 * simulated ones, then `heldout` (testbed/heldout-sim: a system our simulator did not shape, loaded from here so
 * that src/ never imports testbed/). Progress goes to stderr; the tables to stdout.
 */
import { pathToFileURL } from 'node:url';
import { markdownFor } from '../src/eval/markdown.js';
import { listSuites, REAL_SUITES, runSuite, type SuiteResult } from '../src/eval/run.js';
import { disposeSimModels, simScenarios, type SimResult } from '../src/eval/suites/sim.js';
import {
  loadResults,
  saveResult,
  writeReadme,
  writeSimNotebook,
  writeSuiteNotebook,
} from '../src/eval/write.js';
import type { SuiteOptions } from '../src/eval/common.js';
import {
  OTEL_APP_SUITE,
  otelAppMarkdown,
  runOtelAppEval,
  writeOtelAppMarkdown,
  type OtelAppResult,
} from '../testbed/otel-app/eval.js';

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function intArg(argv: string[], name: string): number | undefined {
  const v = arg(argv, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} wants a non-negative integer, got "${v}"`);
  return n;
}

export async function main(argv: string[]): Promise<void> {
  const what = argv[0];
  if (!what || what === '--help' || what === 'list') {
    console.log(['all', 'sim', ...listSuites(), 'heldout', OTEL_APP_SUITE].join('\n'));
    return;
  }
  if (what === OTEL_APP_SUITE) {
    // Not in `all`: it runs live processes for about 25 minutes a run.
    const r = await runOtelAppEval({
      runs: intArg(argv, '--runs') ?? 3,
      out: arg(argv, '--out') ?? 'notebooks',
    });
    console.log(otelAppMarkdown(r));
    return;
  }
  if (what === 'report') {
    // Rebuilds notebooks and README from saved results without running anything.
    const out = arg(argv, '--out') ?? 'notebooks';
    const results = loadResults(out);
    for (const r of results)
      if ((REAL_SUITES as readonly string[]).includes(r.suite)) writeSuiteNotebook(out, r);
    writeSimNotebook(out, results.filter((r) => r.suite.startsWith('sim-')) as SimResult[]);
    const otel = results.find((r) => (r.suite as string) === OTEL_APP_SUITE);
    if (otel) writeOtelAppMarkdown(out, otel as unknown as OtelAppResult);
    writeReadme(out);
    process.stderr.write(
      `[eval] rebuilt notebooks from ${results.length} saved result(s) in ${out}/results\n`,
    );
    return;
  }
  const opts: SuiteOptions = {
    data: arg(argv, '--data'),
    seed: intArg(argv, '--seed') ?? 1,
    sample: intArg(argv, '--sample'),
  };
  const out = arg(argv, '--out') ?? 'notebooks';
  if (what === 'heldout') return runHeldoutSuite(out, opts.seed);
  const names =
    what === 'all' ? listSuites() : what === 'sim' ? simScenarios().map((s) => `sim-${s.name}`) : [what];
  const done: SuiteResult[] = [];
  for (const name of names) {
    let r: SuiteResult;
    try {
      r = await runSuite(name, opts);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // A missing dataset skips that suite in `all`; asked for by name, it is an error.
      if (what === 'all' && (REAL_SUITES as readonly string[]).includes(name) && /not found/.test(msg)) {
        process.stderr.write(`[eval] ${name}: skipped (${msg})\n`);
        continue;
      }
      throw err;
    }
    done.push(r);
    saveResult(out, r);
    if (!r.suite.startsWith('sim-')) writeSuiteNotebook(out, r);
    console.log(`${markdownFor(r)}\n`);
  }
  disposeSimModels();
  if (done.some((r) => r.suite.startsWith('sim-'))) {
    const sims = loadResults(out).filter((r) => r.suite.startsWith('sim-')) as SimResult[];
    writeSimNotebook(out, sims);
  }
  writeReadme(out);
  process.stderr.write(`[eval] wrote ${done.length} result(s) under ${out}/\n`);
  if (what === 'all') await runHeldoutSuite(out, opts.seed);
}

async function runHeldoutSuite(out: string, seed: number | undefined): Promise<void> {
  const { runHeldout } = await import('../testbed/heldout-sim/eval/suite.js');
  const { writeHeldout } = await import('../testbed/heldout-sim/eval/report.js');
  console.log(`${writeHeldout(out, await runHeldout({ seed }))}\n`);
  process.stderr.write(`[eval] wrote ${out}/heldout.md and ${out}/results/heldout.json\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
