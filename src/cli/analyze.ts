import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import { trainModelSet } from '../scoring/train.js';
import { withInputOptions } from './input-options.js';
import { loadTraces } from './load.js';
import { addTrainOptions, stageProgress, trainOptionsFrom, type TrainFlags } from './train.js';

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

/** The ranked table an engineer reads first: the most anomalous traces and their leading cause. */
export function rankedTable(scored: ScoredTrace[], top: number): string {
  const rows = [...scored].sort((a, b) => b.score - a.score).slice(0, top);
  const lines = [
    `${'#'.padStart(3)}  ${'score'.padEnd(6)} ${'trace'.padEnd(32)}  ${'endpoint'.padEnd(36)} ${'ms'.padStart(9)}  likely cause`,
  ];
  rows.forEach((s, i) => {
    const c = s.rootCauses[0];
    const cause = c ? `${c.kind} ${c.service}${c.operation ? ':' + c.operation : ''}: ${c.evidence}` : '-';
    lines.push(
      `${String(i + 1).padStart(3)}  ${s.score.toFixed(4)} ${s.traceId}  ${cut(`${s.service}:${s.operation}`, 36).padEnd(36)} ` +
        `${s.durationMs.toFixed(1).padStart(9)}  ${cut(cause, 120)}`,
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
        .option('--output <file>', 'also write every scored trace as NDJSON'),
    ),
  ).action(
    async (files: string[], flags: TrainFlags & { train?: string[]; top: string; output?: string }) => {
      const traces = await loadTraces(files, flags);
      const training = flags.train ? await loadTraces(flags.train, flags) : traces;
      const p = stageProgress(flags.quiet);
      const model = await trainModelSet(training, { ...trainOptionsFrom(flags), onProgress: p.onProgress });
      p.stop();
      const scored = model.score(traces);
      model.dispose();
      const anomalous = scored.filter((s) => s.anomalous).length;
      process.stdout.write(
        `${traces.length} traces, ${anomalous} anomalous (threshold ${model.threshold.toFixed(4)}, ` +
          `trained on ${flags.train ? 'the --train files' : 'the input itself'})\n\n`,
      );
      process.stdout.write(rankedTable(scored, Number(flags.top)));
      if (flags.output) await writeFile(flags.output, scored.map((s) => JSON.stringify(s)).join('\n') + '\n');
    },
  );
}
