/**
 * Isolation forest benchmark: our forest against ml-isolation-forest 0.1.0 on synthetic data
 * and, when present, the TraceAnomaly vectors. Train time, scoring throughput and ROC-AUC,
 * medians of three runs (different seeds for ours; the other library seeds itself).
 *
 *   npx tsx bench/isolation-forest.ts [--dir PATH] [--runs N]
 */
import { pathToFileURL } from 'node:url';
import { IsolationForest as MlForest } from 'ml-isolation-forest';
import { IsolationForest } from '../src/detectors/isolation-forest.js';
import type { Matrix } from '../src/detectors/matrix.js';
import { rocAuc } from '../src/detectors/metrics.js';
import { Prng } from '../src/detectors/prng.js';
import { DEFAULT_DIR, loadTraceAnomaly, splitTraceAnomaly } from '../src/eval/traceanomaly-data.js';
import { median } from '../src/detectors/median.js';

export interface BenchResult {
  dataset: string;
  implementation: string;
  trainRows: number;
  testRows: number;
  cols: number;
  trainSeconds: number;
  scoreRowsPerSecond: number;
  rocAuc: number;
}

interface Split {
  name: string;
  train: Matrix;
  test: Matrix;
  labels: Uint8Array;
}

function gaussian(rng: Prng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * 20 dims, a mixture of three gaussian clusters for normal rows; anomalies are drawn around
 * the same centres but pushed 4-6 sd out in a few random dimensions, so they are not trivially
 * far from everything.
 */
export function syntheticSplit(normalRows = 20_000, anomalyRows = 1_000, cols = 20, seed = 1): Split {
  const rng = new Prng(seed);
  const centres = Array.from({ length: 3 }, () =>
    Float64Array.from({ length: cols }, () => 6 * gaussian(rng)),
  );
  const row = (anomalous: boolean) => {
    const c = centres[rng.intBelow(centres.length)];
    const r = Float64Array.from(c, (v) => v + gaussian(rng));
    if (anomalous) {
      const k = 1 + rng.intBelow(3);
      for (let i = 0; i < k; i++) r[rng.intBelow(cols)] += (rng.next() < 0.5 ? -1 : 1) * (4 + 2 * rng.next());
    }
    return r;
  };
  const toMatrix = (rows: Float64Array[]): Matrix => {
    const data = new Float64Array(rows.length * cols);
    rows.forEach((r, i) => data.set(r, i * cols));
    return { data, rows: rows.length, cols };
  };
  const train = Array.from({ length: normalRows }, () => row(false));
  const testNormal = Array.from({ length: Math.floor(normalRows / 4) }, () => row(false));
  const testAnomalies = Array.from({ length: anomalyRows }, () => row(true));
  const labels = new Uint8Array(testNormal.length + testAnomalies.length).fill(1, testNormal.length);
  return {
    name: `synthetic ${cols}d mixture`,
    train: toMatrix(train),
    test: toMatrix([...testNormal, ...testAnomalies]),
    labels,
  };
}

function arrays(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
}

type Impl = 'ours' | 'ours-full' | 'ml';

const IMPL_NAMES: Record<Impl, string> = {
  ours: 'ours (100 trees x 256)',
  'ours-full': 'ours (100 trees x all rows)',
  ml: 'ml-isolation-forest 0.1.0',
};

function runOnce(split: Split, impl: Impl, seed: number, trainArrays?: number[][], testArrays?: number[][]) {
  let t0 = performance.now();
  let scores: ArrayLike<number>;
  let trainSeconds: number;
  let scoreSeconds: number;
  if (impl !== 'ml') {
    // 'ours-full' matches the other library's setting (every tree sees all rows, depth log2 n).
    const sampleSize = impl === 'ours' ? 256 : split.train.rows;
    const forest = IsolationForest.fit(split.train, { seed, sampleSize });
    trainSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    scores = forest.scoreMany(split.test);
    scoreSeconds = (performance.now() - t0) / 1000;
  } else {
    const forest = new MlForest({ nEstimators: 100 });
    forest.train(trainArrays!);
    trainSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    scores = forest.predict(testArrays!);
    scoreSeconds = (performance.now() - t0) / 1000;
  }
  return { trainSeconds, rowsPerSecond: split.test.rows / scoreSeconds, auc: rocAuc(scores, split.labels) };
}

export async function runIsolationForestBench(
  options: { dir?: string; runs?: number; log?: (line: string) => void } = {},
): Promise<BenchResult[]> {
  const runs = options.runs ?? 3;
  const log = options.log ?? (() => {});
  const splits: Split[] = [syntheticSplit()];
  const ta = loadTraceAnomaly(options.dir ?? DEFAULT_DIR);
  if (ta !== null)
    splits.push({ name: 'TraceAnomaly vectors', ...splitTraceAnomaly(ta.normal, ta.abnormal, 42) });
  else log(`TraceAnomaly vectors not found in ${options.dir ?? DEFAULT_DIR}; synthetic data only`);

  const results: BenchResult[] = [];
  for (const split of splits) {
    // The other library takes number[][]; convert once, outside the timings.
    const trainArrays = arrays(split.train);
    const testArrays = arrays(split.test);
    for (const impl of ['ours', 'ours-full', 'ml'] as const) {
      const samples = Array.from({ length: runs }, (_, i) => {
        const s = runOnce(split, impl, i + 1, trainArrays, testArrays);
        log(
          `  ${split.name} / ${impl} run ${i + 1}: AUC ${s.auc.toFixed(4)}, train ${s.trainSeconds.toFixed(2)} s`,
        );
        return s;
      });
      results.push({
        dataset: split.name,
        implementation: IMPL_NAMES[impl],
        trainRows: split.train.rows,
        testRows: split.test.rows,
        cols: split.train.cols,
        trainSeconds: median(samples.map((s) => s.trainSeconds)),
        scoreRowsPerSecond: median(samples.map((s) => s.rowsPerSecond)),
        rocAuc: median(samples.map((s) => s.auc)),
      });
    }
  }
  return results;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--dir');
  const r = process.argv.indexOf('--runs');
  const results = await runIsolationForestBench({
    dir: i >= 0 ? process.argv[i + 1] : undefined,
    runs: r >= 0 ? Number(process.argv[r + 1]) : 3,
    log: (line) => console.error(line),
  });
  console.log(
    'dataset                 implementation                train x test x cols     train s   score rows/s  ROC-AUC',
  );
  for (const x of results) {
    console.log(
      `${x.dataset.padEnd(23)} ${x.implementation.padEnd(29)} ${`${x.trainRows} x ${x.testRows} x ${x.cols}`.padEnd(22)}` +
        ` ${x.trainSeconds.toFixed(2).padStart(8)}  ${Math.round(x.scoreRowsPerSecond).toString().padStart(12)}  ${x.rocAuc.toFixed(4)}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
