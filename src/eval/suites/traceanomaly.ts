/**
 * TraceAnomaly vectors (detector level): no spans, one call-path response-time vector per trace. Our generic
 * detectors run directly on the vectors with the paper's split (a seeded half of the normal rows trains, the
 * other half plus every abnormal row tests). Loading and splitting come from ../traceanomaly-data.ts, which
 * exports them.
 */
import { Autoencoder } from '../../detectors/autoencoder.js';
import { IsolationForest } from '../../detectors/isolation-forest.js';
import type { Matrix } from '../../detectors/matrix.js';
import { Prng } from '../../detectors/prng.js';
import { loadTraceAnomaly, selectRows, splitTraceAnomaly } from '../traceanomaly-data.js';
import { CostMeter, type Cost } from '../cost.js';
import { datasetDir, hasDataset, logger, type SuiteOptions } from '../common.js';
import {
  bestF1,
  prAuc,
  prCurve,
  rocAuc,
  rocCurve,
  thinCurve,
  type CurvePoint,
  type F1Result,
} from '../metrics.js';

export const TRACEANOMALY_DATASET = 'traceanomaly-vectors';

export interface DetectorOutcome {
  detector: string;
  rocAuc: number;
  prAuc: number;
  bestF1: F1Result;
  trainSeconds: number;
  scoreSeconds: number;
  roc: CurvePoint[];
  pr: CurvePoint[];
}

export interface TraceAnomalyResult {
  suite: 'traceanomaly';
  seed: number;
  sample?: number;
  counts: { normal: number; abnormal: number; columns: number; train: number; test: number };
  detectors: DetectorOutcome[];
  cost: Cost;
  published: { method: string; figure: string }[];
}

function rowSums(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let c = 0; c < m.cols; c++) s += m.data[r * m.cols + c];
    out[r] = s;
  }
  return out;
}

function subsample(m: Matrix, n: number, seed: number): Matrix {
  if (m.rows <= n) return m;
  const idx = new Prng(seed).shuffle(Int32Array.from({ length: m.rows }, (_, i) => i)).subarray(0, n);
  return selectRows(m, idx.sort());
}

export async function runTraceAnomaly(opts: SuiteOptions = {}): Promise<TraceAnomalyResult> {
  const log = logger(opts);
  const seed = opts.seed ?? 1;
  if (!hasDataset(opts, TRACEANOMALY_DATASET, ['test_normal.zip', 'test_abnormal.zip']))
    throw new Error(`dataset ${TRACEANOMALY_DATASET} not found under ${datasetDir(opts, '')}`);
  log(`[traceanomaly] reading vectors`);
  const data = loadTraceAnomaly(datasetDir(opts, TRACEANOMALY_DATASET));
  if (!data) throw new Error('traceanomaly: vectors not found');
  let { normal, abnormal } = data;
  if (opts.sample !== undefined) {
    // Keep the full data's class balance: about six normal rows per abnormal one.
    normal = subsample(normal, opts.sample * 6, seed);
    abnormal = subsample(abnormal, opts.sample, seed + 1);
  }
  const { train, test, labels } = splitTraceAnomaly(normal, abnormal, seed);
  const meter = new CostMeter();
  meter.trainSpans = train.rows;
  const outcomes: DetectorOutcome[] = [];
  const run = async (detector: string, fit: () => Promise<(m: Matrix) => ArrayLike<number>>) => {
    log(`[traceanomaly] ${detector}`);
    const t0 = meter.trainSeconds;
    const scorer = await meter.time('train', fit);
    const s0 = meter.scoreSeconds;
    const scores = await meter.time('score', () => scorer(test));
    meter.scoreSpans += test.rows;
    outcomes.push({
      detector,
      rocAuc: rocAuc(scores, labels),
      prAuc: prAuc(scores, labels),
      bestF1: bestF1(scores, labels),
      trainSeconds: meter.trainSeconds - t0,
      scoreSeconds: meter.scoreSeconds - s0,
      roc: thinCurve(rocCurve(scores, labels)),
      pr: thinCurve(prCurve(scores, labels)),
    });
  };
  await run('sum of vector', async () => rowSums);
  await run('isolation forest (ours)', async () => {
    const f = IsolationForest.fit(train, { seed });
    return (m) => f.scoreMany(m);
  });
  let ae: Autoencoder | undefined;
  await run('autoencoder (ours)', async () => {
    ae = await Autoencoder.train(train, { seed });
    return (m) => ae!.scoreMany(m);
  });
  ae?.dispose();
  for (const o of outcomes) log(`  ${o.detector}: ROC-AUC ${o.rocAuc.toFixed(4)}`);
  return {
    suite: 'traceanomaly',
    seed,
    sample: opts.sample,
    counts: {
      normal: normal.rows,
      abnormal: abnormal.rows,
      columns: normal.cols,
      train: train.rows,
      test: test.rows,
    },
    detectors: outcomes,
    cost: meter.finish(),
    published: [
      { method: 'TraceAnomaly (paper, ISSRE 2020)', figure: 'precision and recall > 0.97 (own splits)' },
      { method: 'TraceAnomaly re-run (TADBench)', figure: 'F1 0.46-0.63 on five datasets' },
    ],
  };
}
