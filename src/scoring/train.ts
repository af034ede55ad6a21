import type { Trace } from '../trace/trace.js';
import { FEATURE_SCHEMA_VERSION } from '../features/schema-version.js';
import { trainBaselineOn, type BaselineOptions } from '../detectors/baseline/index.js';
import { IsolationForest } from '../detectors/isolation-forest.js';
import { Autoencoder } from '../detectors/autoencoder.js';
import { EmpiricalCalibrator } from '../detectors/calibration.js';
import { thresholdForFpr } from '../detectors/threshold.js';
import { matrixFromRows } from '../detectors/matrix.js';
import { Prng } from '../detectors/prng.js';
import {
  ModelSet,
  MODEL_SET_FORMAT,
  MODEL_SET_VERSION,
  VECTOR_DETECTORS,
  type EndpointModels,
} from './model-set.js';
import { isoFromMicros } from '../trace/iso-time.js';
import { screenTraining } from './screen.js';
import { PathVectorizer } from './vectorizer.js';
import { TrainingData } from './train-data.js';

export interface TrainOptions {
  seed?: number;
  /** Share of traces held out to calibrate scores and set the threshold (default 0.2). */
  holdout?: number;
  /** Target false-positive rate on normal traffic (default 0.01). */
  targetFpr?: number;
  /** Traces an endpoint needs in the training split for a forest and an autoencoder of its own (default 200). */
  minEndpointTraces?: number;
  /** Autoencoders for at most this many of the busiest endpoints (each takes seconds to train; default 8). */
  maxAutoencoders?: number;
  forest?: boolean;
  autoencoder?: boolean;
  baseline?: Partial<BaselineOptions>;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** Held-out traces an endpoint needs for its vector models' scores to be calibrated. */
const MIN_CALIBRATION = 30;
const DEFAULTS = { seed: 1, holdout: 0.2, targetFpr: 0.01, minEndpointTraces: 200, maxAutoencoders: 8 };

/**
 * Trains a model set on traffic assumed mostly normal. Anomalies hidden in it are tolerated: the baseline
 * trims its worst traces and refits, and the forest and autoencoder train only on what the baseline kept.
 * Given TrainingData (filled while reading), the traces themselves need never be held at once.
 */
export async function trainModelSet(
  input: readonly Trace[] | TrainingData,
  options: TrainOptions = {},
): Promise<ModelSet> {
  const o = { ...DEFAULTS, ...options };
  const progress = options.onProgress ?? (() => {});
  if (input.length === 0) throw new Error('no traces to train on');
  const t0 = performance.now();
  const data =
    input instanceof TrainingData ? input : TrainingData.from(input, (d, t) => progress('features', d, t));
  const n = data.length;

  // What the window's own statistics call abnormal is neither learned nor calibrated on (see screen.ts).
  const abnormal = screenTraining(data);
  // Held-out split, seeded. Tiny inputs calibrate on the training traces themselves.
  const order = new Prng(o.seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const nHold = n >= 100 ? Math.floor(n * o.holdout) : 0;
  const holdIdx = order.slice(0, nHold).filter((i) => !abnormal[i]);
  const trainIdx = order
    .slice(nHold)
    .filter((i) => !abnormal[i])
    .sort((a, b) => a - b);
  if (trainIdx.length === 0) throw new Error('every trace was screened out as abnormal; nothing to train on');
  const calIdx = holdIdx.length > 0 ? holdIdx : trainIdx;
  const baselineScore = (i: number) => baseline.score(data.trace(i), data.profile(i)).score;

  progress('baseline', 0, 1);
  const baseline = trainBaselineOn(trainIdx.length, (k) => data.view(trainIdx[k]), o.baseline);
  progress('baseline', 1, 1);

  // What the baseline finds most surprising in training stays out of the other models' training.
  const trainScores = trainIdx.map(baselineScore);
  const trim = o.baseline?.trimFraction ?? 0.05;
  const cutoff = [...trainScores].sort((a, b) => b - a)[Math.floor(trainScores.length * trim)] ?? Infinity;
  const clean = trainIdx.filter((_, k) => !(trainScores[k] > 0 && trainScores[k] > cutoff));

  const byEndpoint = (idx: number[]) => {
    const m = new Map<string, number[]>();
    for (const i of idx) {
      const k = data.endpointKey(i);
      let g = m.get(k);
      if (!g) m.set(k, (g = []));
      g.push(i);
    }
    return m;
  };
  const cleanBy = byEndpoint(clean);
  const calBy = byEndpoint(calIdx);
  // An endpoint model needs held-out traces of its own to calibrate on. Calibrated on the rows it was fitted
  // to, a forest or an autoencoder of a hundred traces reads new normal traces as rarer than they are
  // (OpenTelemetry testbed, 150-trace first models: 25 of 1,247 fault-free requests flagged with such models,
  // 4 of 1,125 without them); the baseline judges such an endpoint alone until it has enough traffic.
  const busy = [...cleanBy.entries()]
    .filter(
      ([key, idx]) => idx.length >= o.minEndpointTraces && (calBy.get(key)?.length ?? 0) >= MIN_CALIBRATION,
    )
    .sort((a, b) => b[1].length - a[1].length);

  const endpoints = new Map<string, EndpointModels>();
  let done = 0;
  for (const [key, idx] of busy) {
    progress('endpoint models', done++, busy.length);
    const autoencoder = o.autoencoder !== false && endpoints.size < o.maxAutoencoders;
    endpoints.set(key, await fitEndpoint(data, idx, calBy.get(key)!, { ...o, autoencoder }));
  }
  progress('endpoint models', busy.length, busy.length);

  const baselineCalibrator = EmpiricalCalibrator.fit(calIdx.map(baselineScore));
  const { from, to } = startWindow(data);
  const draft = new ModelSet(
    {
      format: MODEL_SET_FORMAT,
      version: MODEL_SET_VERSION,
      featureSchemaVersion: FEATURE_SCHEMA_VERSION,
      window: { from: isoFromMicros(from), to: isoFromMicros(to) },
      counts: {
        traces: n,
        spans: data.spans,
        trainTraces: trainIdx.length,
        holdoutTraces: holdIdx.length,
        endpoints: data.endpointCount,
      },
      targetFpr: o.targetFpr,
      threshold: 1,
      combine: 'views',
      metrics: {},
    },
    baseline,
    baselineCalibrator,
    endpoints,
  );
  const { calibrated } = draft.detectorScores(
    calIdx.map((i) => data.trace(i)),
    calIdx.map((i) => data.profile(i)),
  );
  const combined = calibrated.map((c) => draft.combine(c));
  const threshold = thresholdForFpr(combined, o.targetFpr);
  draft.manifest.threshold = threshold;
  draft.manifest.metrics = {
    trainSeconds: (performance.now() - t0) / 1000,
    screenedTraces: abnormal.reduce((n, a) => n + a, 0),
    trimmedTraces: trainIdx.length - clean.length,
    endpointModels: endpoints.size,
    autoencoders: [...endpoints.values()].filter((m) => m.autoencoder).length,
    calibrationFlagRate: combined.filter((s) => s > threshold).length / combined.length,
  };
  return draft;
}

/** One endpoint's vector models: fitted on its clean training traces `idx`, calibrated on its held-out `cal`. */
async function fitEndpoint(
  data: TrainingData,
  idx: readonly number[],
  cal: readonly number[],
  o: { seed: number; forest?: boolean; autoencoder: boolean },
): Promise<EndpointModels> {
  const vectorizer = PathVectorizer.fit(idx.map((i) => ({ callPaths: data.profile(i).callPaths })));
  const rows = matrixFromRows(
    idx.map((i) => vectorizer.vector(data.profile(i))),
    vectorizer.width,
  );
  const models: EndpointModels = { vectorizer, calibrators: {} };
  // 256 rows a tree (the paper's default) is too coarse for traces, whose vectors take few distinct shapes:
  // measured on the TraceAnomaly vectors, ROC-AUC 0.72 at 256 rows and 0.92 at 4096.
  if (o.forest !== false)
    models.forest = IsolationForest.fit(rows, { seed: o.seed, sampleSize: Math.min(rows.rows, 4096) });
  if (o.autoencoder) models.autoencoder = await Autoencoder.train(rows, { seed: o.seed });
  const calRows = matrixFromRows(
    cal.map((i) => vectorizer.vector(data.profile(i))),
    vectorizer.width,
  );
  for (const name of VECTOR_DETECTORS) {
    const detector = models[name];
    if (detector) models.calibrators[name] = EmpiricalCalibrator.fit(detector.scoreMany(calRows));
  }
  return models;
}

/** The earliest and latest trace start of the training data, µs. */
function startWindow(data: TrainingData): { from: number; to: number } {
  let from = Infinity;
  let to = -Infinity;
  for (let i = 0; i < data.length; i++) {
    from = Math.min(from, data.startUs(i));
    to = Math.max(to, data.startUs(i));
  }
  return { from, to };
}
