/**
 * The TraceAnomaly experiment (see ../shared/datasets/traceanomaly-vectors/SOURCE.md): train on a
 * seeded random 50% of the normal vectors, test on the other 50% plus every abnormal vector, and
 * report ROC-AUC / PR-AUC of several detectors.
 *
 *   npx tsx scripts/traceanomaly.ts [--dir PATH] [--seed N] [--epochs N] [--batch N] [--lr X] [--no-ml] [--no-combine]
 */
import { pathToFileURL } from 'node:url';
import { Autoencoder } from '../src/detectors/autoencoder.js';
import { combineScores, EmpiricalCalibrator } from '../src/detectors/calibration.js';
import { thresholdForFpr } from '../src/detectors/threshold.js';
import { IsolationForest } from '../src/detectors/isolation-forest.js';
import type { Matrix } from '../src/detectors/matrix.js';
import { prAuc, rocAuc } from '../src/detectors/metrics.js';
import { Prng } from '../src/detectors/prng.js';

import {
  DEFAULT_DIR,
  toArrays,
  loadTraceAnomaly,
  selectRows,
  splitTraceAnomaly,
} from '../src/eval/traceanomaly-data.js';
function rowSums(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let c = 0; c < m.cols; c++) s += m.data[r * m.cols + c];
    out[r] = s;
  }
  return out;
}

interface Row {
  detector: string;
  rocAuc: number;
  prAuc: number;
  trainSeconds: number;
  scoreSeconds: number;
}

async function timed<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, (performance.now() - t0) / 1000];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const dir = arg('--dir') ?? DEFAULT_DIR;
  const seed = Number(arg('--seed') ?? 42);
  const epochs = Number(arg('--epochs') ?? 60);
  const batchSize = arg('--batch') === undefined ? undefined : Number(arg('--batch'));
  const learningRate = arg('--lr') === undefined ? undefined : Number(arg('--lr'));
  const data = loadTraceAnomaly(dir);
  if (data === null) {
    console.error(`TraceAnomaly vectors not found in ${dir}; nothing to do`);
    return;
  }
  const { normal, abnormal } = data;
  const { train, test, labels } = splitTraceAnomaly(normal, abnormal, seed);
  console.log(
    `TraceAnomaly: ${normal.rows} normal + ${abnormal.rows} abnormal rows, ${normal.cols} columns; ` +
      `train ${train.rows}, test ${test.rows} (${((100 * abnormal.rows) / test.rows).toFixed(1)}% anomalies), seed ${seed}`,
  );
  const results: Row[] = [];
  const record = (
    detector: string,
    scores: ArrayLike<number>,
    trainSeconds: number,
    scoreSeconds: number,
  ) => {
    const row = {
      detector,
      rocAuc: rocAuc(scores, labels),
      prAuc: prAuc(scores, labels),
      trainSeconds,
      scoreSeconds,
    };
    results.push(row);
    console.error(`  ${detector}: ROC-AUC ${row.rocAuc.toFixed(4)}`);
  };

  const [sums, sumSec] = await timed(() => rowSums(test));
  record('sum of vector', sums, 0, sumSec);

  const [forest, ifTrain] = await timed(() => IsolationForest.fit(train, { seed }));
  const [ifScores, ifScore] = await timed(() => forest.scoreMany(test));
  record('isolation forest (ours, 100x256)', ifScores, ifTrain, ifScore);

  if (!process.argv.includes('--no-ml')) {
    const { IsolationForest: MlForest } = await import('ml-isolation-forest');
    const ml = new MlForest({ nEstimators: 100 });
    const trainArrays = toArrays(train);
    const testArrays = toArrays(test);
    const [, mlTrain] = await timed(() => ml.train(trainArrays));
    const [mlScores, mlScore] = await timed(() => ml.predict(testArrays) as number[]);
    record('ml-isolation-forest 0.1.0', mlScores, mlTrain, mlScore);
  }

  const [ae, aeTrain] = await timed(() =>
    Autoencoder.train(train, {
      seed,
      epochs,
      batchSize,
      learningRate,
      onEpoch: (e, t, v) =>
        console.error(`  autoencoder epoch ${e}: train ${t.toFixed(4)}, validation ${v.toFixed(4)}`),
    }),
  );
  const [aeScores, aeScore] = await timed(() => ae.scoreMany(test));
  record(`autoencoder (${ae.summary?.epochs} epochs)`, aeScores, aeTrain, aeScore);
  ae.dispose();

  console.log('\ndetector                           ROC-AUC  PR-AUC  train s  score s');
  for (const r of results) {
    console.log(
      `${r.detector.padEnd(34)} ${r.rocAuc.toFixed(4)}  ${r.prAuc.toFixed(4)}  ${r.trainSeconds.toFixed(2).padStart(7)}  ${r.scoreSeconds.toFixed(2).padStart(7)}`,
    );
  }

  if (!process.argv.includes('--no-combine')) await combination(train, test, labels, seed, epochs);
}

/**
 * Calibrated combination needs normal scores the models did not train on, so here the training
 * half is split again: 80% to fit the models, 20% to fit the calibrators.
 */
async function combination(train: Matrix, test: Matrix, labels: Uint8Array, seed: number, epochs: number) {
  const order = new Prng(seed + 1).shuffle(Int32Array.from({ length: train.rows }, (_, i) => i));
  const cut = Math.floor(train.rows * 0.8);
  const fitRows = selectRows(train, order.subarray(0, cut));
  const calRows = selectRows(train, order.subarray(cut));
  const forest = IsolationForest.fit(fitRows, { seed });
  const ae = await Autoencoder.train(fitRows, { seed, epochs });
  const detectors: [string, (m: Matrix) => ArrayLike<number>][] = [
    ['sum', rowSums],
    ['iforest', (m) => forest.scoreMany(m)],
    ['autoencoder', (m) => ae.scoreMany(m)],
  ];
  const calibrated = detectors.map(([, f]) => EmpiricalCalibrator.fit(f(calRows)).calibrateMany(f(test)));
  const calNormal = detectors.map(([, f]) => EmpiricalCalibrator.fit(f(calRows)).calibrateMany(f(calRows)));
  ae.dispose();
  console.log('\ncalibrated combination (models on 80% of the training half, calibrators on 20%):');
  detectors.forEach(([name], d) =>
    console.log(`  ${name.padEnd(28)} ROC-AUC ${rocAuc(calibrated[d], labels).toFixed(4)}`),
  );
  const sets: [string, number[]][] = [
    ['iforest + autoencoder', [1, 2]],
    ['sum + iforest + autoencoder', [0, 1, 2]],
  ];
  for (const [name, which] of sets) {
    for (const method of ['fisher', 'max'] as const) {
      const combined = Float64Array.from({ length: test.rows }, (_, r) =>
        combineScores(
          which.map((d) => calibrated[d][r]),
          undefined,
          method,
        ),
      );
      const normalCombined = Float64Array.from({ length: calRows.rows }, (_, r) =>
        combineScores(
          which.map((d) => calNormal[d][r]),
          undefined,
          method,
        ),
      );
      const t = thresholdForFpr(normalCombined, 0.01);
      let fp = 0;
      let tp = 0;
      let pos = 0;
      for (let r = 0; r < test.rows; r++) {
        if (labels[r]) pos++;
        if (combined[r] > t) {
          if (labels[r]) tp++;
          else fp++;
        }
      }
      console.log(
        `  ${`${name} (${method})`.padEnd(40)} ROC-AUC ${rocAuc(combined, labels).toFixed(4)}  PR-AUC ${prAuc(combined, labels).toFixed(4)}` +
          `  at 1% held-out FPR: recall ${(tp / pos).toFixed(3)}, test FPR ${(fp / (test.rows - pos)).toFixed(4)}`,
      );
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
