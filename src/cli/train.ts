import { Command, Option } from 'commander';
import { trainModelSet, type TrainOptions } from '../scoring/train.js';
import { saveModelSet } from '../registry/model-dir.js';
import { withInputOptions, type InputFlags } from './input-options.js';
import { readWithProgress, reportRead } from './read-files.js';
import { TrainingData } from '../scoring/train-data.js';
import { progress } from './progress.js';

export interface TrainFlags extends InputFlags {
  fpr?: string;
  seed?: string;
  autoencoder?: boolean;
}

export function trainOptionsFrom(flags: TrainFlags): TrainOptions {
  const fpr = flags.fpr === undefined ? undefined : Number(flags.fpr);
  if (fpr !== undefined && !(fpr > 0 && fpr < 1))
    throw new Error(`--fpr must be a number between 0 and 1, got ${flags.fpr}`);
  return {
    targetFpr: fpr,
    seed: flags.seed === undefined ? undefined : Number(flags.seed),
    autoencoder: flags.autoencoder,
  };
}

/** A progress bar per training stage. */
export function stageProgress(quiet?: boolean): { onProgress: TrainOptions['onProgress']; stop(): void } {
  let stage = '';
  let bar = progress('', { quiet: true });
  return {
    onProgress(s, done, total) {
      if (s !== stage) {
        bar.stop();
        stage = s;
        bar = progress(s, { quiet });
      }
      bar.update(done, total);
    },
    stop: () => bar.stop(),
  };
}

export function addTrainOptions(cmd: Command): Command {
  return cmd
    .option('--fpr <rate>', 'target false-positive rate on normal traffic', '0.01')
    .option('--seed <n>', 'random seed', '1')
    .addOption(new Option('--no-autoencoder', 'skip the autoencoders (faster training)'));
}

export function registerTrainCommand(program: Command): void {
  addTrainOptions(
    withInputOptions(
      program
        .command('train')
        .description('learn what normal looks like, per endpoint, from traces of normal traffic')
        .argument('<file...>', 'trace files of (mostly) normal traffic')
        .requiredOption('--model <dir>', 'directory to write the model set to'),
    ),
  ).action(async (files: string[], flags: TrainFlags & { model: string }) => {
    // Each trace is reduced to what training reads as soon as it is read (see TrainingData).
    const data = new TrainingData();
    reportRead(await readWithProgress(files, flags, (t) => data.add(t)), flags);
    const p = stageProgress(flags.quiet);
    const set = await trainModelSet(data, { ...trainOptionsFrom(flags), onProgress: p.onProgress });
    p.stop();
    await saveModelSet(flags.model, set);
    const m = set.manifest;
    process.stderr.write(
      `model set written to ${flags.model}: ${m.counts.traces} traces, ${m.counts.endpoints} endpoints, ` +
        `${m.metrics.endpointModels} with forest/autoencoder models, threshold ${m.threshold.toFixed(4)} ` +
        `for a ${m.targetFpr} false-positive rate, ${m.metrics.trainSeconds.toFixed(1)} s\n`,
    );
    set.dispose();
  });
}
