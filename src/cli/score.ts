import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import type { Trace } from '../trace/trace.js';
import { explainOptions, type ModelSet, type ScoreOptions } from '../scoring/model-set.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import { loadModelSet } from '../registry/model-dir.js';
import { withInputOptions, type InputFlags } from './input-options.js';
import { readWithProgress } from './read-files.js';

/**
 * Traces scored together. Small enough that a batch's traces and profiles die young (at 1,000 most of them
 * outlived a scavenge and were copied to the old generation: more GC, 60 MB more peak RSS), large enough
 * that the per-endpoint forest and autoencoder calls stay few.
 */
const BATCH = 200;

export type ExplainFlag = NonNullable<ScoreOptions['causes']>;

/** `--explain top|all`, for the commands that print root causes. */
export function explainOption(): Option {
  return new Option(
    '--explain <which>',
    'root causes: top (the leading ones, for anomalies) or all (every candidate, with its share, for every trace)',
  )
    .choices(['top', 'all'])
    .default('top');
}

/**
 * Scores traces as they are read, in batches, so memory stays bounded by the batch (and by the reader's
 * window) however large the input. `onScored` sees every scored trace in input order.
 */
export async function scoreFiles(
  files: string[],
  flags: InputFlags,
  model: ModelSet,
  onScored: (s: ScoredTrace, trace: Trace) => void,
  opts: ScoreOptions = {},
): Promise<{ traces: number; spans: number; anomalous: number }> {
  let batch: Trace[] = [];
  let anomalous = 0;
  const flush = () => {
    const scored = model.score(batch, opts);
    scored.forEach((s, i) => {
      if (s.anomalous) anomalous++;
      onScored(s, batch[i]);
    });
    batch = [];
  };
  const report = await readWithProgress(files, flags, (t) => {
    batch.push(t);
    if (batch.length >= BATCH) flush();
  });
  flush();
  return { traces: report.traces, spans: report.spans, anomalous };
}

function lineWriter(path?: string): { out: Writable; close(): Promise<void> } {
  if (!path) return { out: process.stdout, close: async () => {} };
  const out = createWriteStream(path);
  return { out, close: () => new Promise((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res()))) };
}

export function registerScoreCommand(program: Command): void {
  withInputOptions(
    program
      .command('score')
      .description('score traces with a trained model set: one NDJSON line per trace')
      .argument('<file...>', 'trace files')
      .requiredOption('--model <dir>', 'model set written by tracehound train')
      .option('--output <file>', 'write NDJSON here instead of stdout')
      .addOption(explainOption()),
  ).action(
    async (files: string[], flags: InputFlags & { model: string; output?: string; explain: ExplainFlag }) => {
      const model = await loadModelSet(flags.model);
      const w = lineWriter(flags.output);
      const t0 = performance.now();
      const r = await scoreFiles(
        files,
        flags,
        model,
        (s) => {
          w.out.write(JSON.stringify(s) + '\n');
        },
        explainOptions(flags.explain),
      );
      await w.close();
      const secs = (performance.now() - t0) / 1000;
      if (!flags.quiet)
        process.stderr.write(
          `scored ${r.traces} traces (${r.spans} spans) in ${secs.toFixed(1)} s, ${Math.round(r.spans / secs)} spans/s; ${r.anomalous} anomalous\n`,
        );
      model.dispose();
    },
  );
}
