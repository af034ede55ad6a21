/**
 * Writes what `scripts/eval.ts` produces under notebooks/: results/<suite>.json (the raw result), img/*.svg
 * (curves), one notebook per real-data suite, one for all simulated scenarios, and README.md with the
 * headline of every result present (so re-running one suite keeps the others' figures).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { headline, markdownFor, simTable } from './markdown.js';
import {
  codeCell,
  curvesFor,
  markdownCell,
  markdownOutput,
  notebook,
  simCurves,
  svgOutput,
} from './notebook.js';
import { REAL_SUITES, type SuiteResult } from './run.js';
import type { SimResult } from './suites/sim.js';

const HOW_TO_OPEN = (cmd: string) =>
  `**How to open.** This notebook uses the TypeScript kernel [tslab](https://github.com/yunabe/tslab) ` +
  `(\`npm install -g tslab && tslab install\`, then \`jupyter lab\` from the notebooks/ folder). ` +
  `The outputs saved below were produced headlessly by \`${cmd}\` from the repository root; ` +
  `running the cells again re-runs the suite (datasets are read from ../../shared/datasets, relative to notebooks/).`;

export function saveResult(dir: string, r: SuiteResult): void {
  mkdirSync(join(dir, 'results'), { recursive: true });
  writeFileSync(join(dir, 'results', `${r.suite}.json`), JSON.stringify(r) + '\n');
}

export function loadResults(dir: string): SuiteResult[] {
  let files: string[] = [];
  try {
    files = readdirSync(join(dir, 'results')).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: SuiteResult[] = [];
  for (const f of files.sort()) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, 'results', f), 'utf8')) as SuiteResult);
    } catch (err) {
      process.stderr.write(`${join(dir, 'results', f)}: skipped, unreadable (${(err as Error).message})\n`);
    }
  }
  return out;
}

function writeSvgs(dir: string, stem: string, curves: { name: string; svg: string }[]): string[] {
  mkdirSync(join(dir, 'img'), { recursive: true });
  return curves.map((c) => {
    const rel = `img/${stem}-${c.name}.svg`;
    writeFileSync(join(dir, rel), c.svg + '\n');
    return rel;
  });
}

export function writeSuiteNotebook(dir: string, r: SuiteResult): void {
  const md = markdownFor(r);
  const curves = curvesFor(r);
  const imgs = writeSvgs(dir, r.suite, curves);
  const cmd = `npx tsx scripts/eval.ts ${r.suite} --seed ${r.seed}${r.sample ? ` --sample ${r.sample}` : ''}`;
  const nb = notebook([
    markdownCell(`# ${r.suite}\n\n${HOW_TO_OPEN(cmd)}`),
    markdownCell(`${md}\n\n${imgs.map((i) => `![${i}](${i})`).join(' ')}`),
    codeCell(
      1,
      [
        `import * as tslab from 'tslab';`,
        `import { runSuite } from '../src/eval/run.js';`,
        `import { markdownFor } from '../src/eval/markdown.js';`,
        `const result = await runSuite('${r.suite}', { data: '../../shared/datasets', seed: ${r.seed}${r.sample ? `, sample: ${r.sample}` : ''} });`,
        `tslab.display.markdown(markdownFor(result));`,
      ].join('\n'),
      [markdownOutput(md)],
    ),
    codeCell(
      2,
      [
        `import { curvesFor } from '../src/eval/notebook.js';`,
        `for (const c of curvesFor(result)) tslab.display.svg(c.svg);`,
      ].join('\n'),
      curves.map((c) => svgOutput(c.svg)),
    ),
  ]);
  writeFileSync(join(dir, `${r.suite}.ipynb`), JSON.stringify(nb, null, 1) + '\n');
}

/** How the simulator decides that a trace is anomalous, and what counts as naming its root cause. */
const SIM_LABELS =
  'A trace is anomalous when a fault changed it. Errors, lost spans, changed calls and network delays (tens of ms on ' +
  'sub-millisecond gaps) always do. A latency fault ' +
  '(added latency, CPU starvation, a leak, the queueing a traffic spike causes) does only when it pushes a span ' +
  "beyond the 99.9th percentile of that operation's fault-free self time at the same utilization (src/sim/normal-range.ts): " +
  'a span slowed within its normal range leaves the trace normal (its truth lists the fault under `withinNormal`). ' +
  'Why not the 99th: a trace has dozens of spans, and 11-29% of fault-free traces have one beyond its 99th percentile ' +
  '(1.2-3.7% beyond the 99.9th). A network delay may be named at either end of its edge; a spike at the service whose ' +
  'queue it overflowed most in that trace or at the endpoint whose traffic it was.';

export function writeSimNotebook(dir: string, results: SimResult[]): void {
  if (results.length === 0) return;
  const systems = [...new Set(results.map((r) => r.system))];
  const table = simTable(results);
  const curves = systems.map((s) => ({
    system: s,
    curves: simCurves(
      s,
      results.filter((r) => r.system === s),
    ),
  }));
  const imgs = curves.flatMap((c) => writeSvgs(dir, `sim-${c.system}`, c.curves));
  const seed = results[0].seed;
  const sample = results[0].sample;
  const opts = `{ seed: ${seed}${sample ? `, sample: ${sample}` : ''} }`;
  const nb = notebook([
    markdownCell(
      `# Simulated systems\n\nOne row per fault scenario of src/sim; each trains on its system's normal scenario (seed + 1) and scores the fault scenario. Targets: ROC-AUC >= 0.97 and service top-1 >= 0.85 on every system.\n\n${SIM_LABELS}\n\n${HOW_TO_OPEN(`npx tsx scripts/eval.ts sim --seed ${seed}`)}`,
    ),
    markdownCell(`${table}\n\n${imgs.map((i) => `![${i}](${i})`).join(' ')}`),
    codeCell(
      1,
      [
        `import * as tslab from 'tslab';`,
        `import { runSim, simScenarios } from '../src/eval/suites/sim.js';`,
        `import { simTable } from '../src/eval/markdown.js';`,
        `const results = [];`,
        `for (const s of simScenarios()) results.push(await runSim(s.name, ${opts}));`,
        `tslab.display.markdown(simTable(results));`,
      ].join('\n'),
      [markdownOutput(table)],
    ),
    codeCell(
      2,
      [
        `import { simCurves } from '../src/eval/notebook.js';`,
        `for (const system of new Set(results.map((r) => r.system)))`,
        `  for (const c of simCurves(system, results.filter((r) => r.system === system))) tslab.display.svg(c.svg);`,
      ].join('\n'),
      curves.flatMap((c) => c.curves.map((x) => svgOutput(x.svg))),
    ),
  ]);
  writeFileSync(join(dir, 'sim.ipynb'), JSON.stringify(nb, null, 1) + '\n');
}

export function writeReadme(dir: string): void {
  const results = loadResults(dir);
  const real = results.filter((r) => (REAL_SUITES as readonly string[]).includes(r.suite));
  const sims = results.filter((r) => r.suite.startsWith('sim-')) as SimResult[];
  const lines = [
    '# Evaluation notebooks',
    '',
    'Regenerate everything headlessly with `npx tsx scripts/eval.ts all [--data DIR] [--seed N]` (progress on stderr); ' +
      'one suite with `npx tsx scripts/eval.ts SUITE`. Datasets are read from ../shared/datasets (never committed). ' +
      'The notebooks use the TypeScript kernel tslab; their saved outputs render on GitHub.',
    '',
    '| suite | notebook | headline | seed | sample |',
    '| --- | --- | --- | ---: | ---: |',
    ...[...real, ...results.filter((r) => r.suite === 'sampling')].map(
      (r) =>
        `| ${r.suite} | [${r.suite}.ipynb](${r.suite}.ipynb) | ${headline(r)} | ${r.seed} | ${r.sample ?? 'full'} |`,
    ),
  ];
  if (sims.length > 0) {
    lines.push(
      `| simulated (${sims.length} scenarios) | [sim.ipynb](sim.ipynb) | ROC-AUC >= 0.97 in ${sims.filter((s) => (s.detection?.rocAuc ?? 0) >= 0.97).length}/${sims.length}, service top-1 >= 0.85 in ${sims.filter((s) => s.rca.service.cases > 0 && s.rca.service.top[1] >= 0.85).length}/${sims.length}; incidents with the root cause first for ${sims.reduce((a, s) => a + (s.incidents?.rootCauseFirst ?? 0), 0)}/${sims.reduce((a, s) => a + (s.incidents?.faults ?? 0), 0)} faults | ${sims[0].seed} | ${sims[0].sample ?? 'full'} |`,
      '',
      '## Simulated scenarios',
      '',
      SIM_LABELS,
      '',
      simTable(sims),
    );
  }
  writeFileSync(join(dir, 'README.md'), lines.join('\n') + '\n');
}
