import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import { byRank, surpriseOf } from '../scoring/rank.js';
import { trainModelSet } from '../scoring/train.js';
import { explainOptions } from '../scoring/model-set.js';
import { withInputOptions } from './input-options.js';
import { loadTraces } from './read-files.js';
import { addTrainOptions, stageProgress, trainOptionsFrom, type TrainFlags } from './train.js';
import { explainOption, type ExplainFlag } from './score.js';
import { formatPercent } from '../explain/format.js';

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

/**
 * The ranked table an engineer reads first: the most anomalous traces (rank.ts: surprise, then what they
 * cost) and their leading cause; with `everyCause`, each row is followed by all of its causes, their shares
 * and evidence.
 */
export function rankedTable(scored: ScoredTrace[], top: number, everyCause = false): string {
  const rows = [...scored].sort(byRank).slice(0, top);
  const lines = [
    `${'#'.padStart(3)}  ${'score'.padEnd(6)} ${'surprise'.padStart(8)} ${'trace'.padEnd(32)}  ${'endpoint'.padEnd(36)} ${'ms'.padStart(9)}  likely cause`,
  ];
  rows.forEach((s, i) => {
    const c = s.rootCauses[0];
    const cause = c ? `${c.kind} ${c.service}${c.operation ? ':' + c.operation : ''}: ${c.evidence}` : '-';
    lines.push(
      `${String(i + 1).padStart(3)}  ${s.score.toFixed(4)} ${surpriseOf(s).toFixed(2).padStart(8)} ${s.traceId}  ${cut(`${s.service}:${s.operation}`, 36).padEnd(36)} ` +
        `${s.durationMs.toFixed(1).padStart(9)}  ${cut(cause, 120)}`,
    );
    if (everyCause)
      for (const c of s.rootCauses)
        lines.push(
          `${formatPercent(c.contribution).padStart(12)}  ${c.kind} ${c.service}${c.operation ? ':' + c.operation : ''}: ${c.evidence}`,
        );
  });
  return lines.join('\n') + '\n';
}

export function registerAnalyzeCommand(program: Command): void {
  addTrainOptions(
    withInputOptions(
      program
        .command('analyze')
        .description('train (on --train, or robustly on the input itself), score, and rank the anomalies')
        .argument('<file...>', 'trace files to analyze')
        .option('--train <file...>', 'trace files of normal traffic to learn from')
        .option('--top <n>', 'rows in the table', '20')
        .option('--output <file>', 'also write every scored trace as NDJSON')
        .addOption(explainOption()),
    ),
  ).action(
    async (
      files: string[],
      flags: TrainFlags & { train?: string[]; top: string; output?: string; explain: ExplainFlag },
    ) => {
      const traces = await loadTraces(files, flags);
      const training = flags.train ? await loadTraces(flags.train, flags) : traces;
      const p = stageProgress(flags.quiet);
      const model = await trainModelSet(training, { ...trainOptionsFrom(flags), onProgress: p.onProgress });
      p.stop();
      const scored = model.score(traces, explainOptions(flags.explain));
      model.dispose();
      const anomalous = scored.filter((s) => s.anomalous).length;
      process.stdout.write(
        `${traces.length} traces, ${anomalous} anomalous (threshold ${model.threshold.toFixed(4)}, ` +
          `trained on ${flags.train ? 'the --train files' : 'the input itself'})\n\n`,
      );
      process.stdout.write(rankedTable(scored, Number(flags.top), flags.explain === 'all'));
      if (flags.output) await writeFile(flags.output, scored.map((s) => JSON.stringify(s)).join('\n') + '\n');
    },
  );
}
