import type * as TfTypes from '@tensorflow/tfjs';
import { assertFinite, type Matrix, type RowsInput, toMatrix } from './matrix.js';
import { Prng } from './prng.js';
import { LogStandardScaler, type ScalerJSON } from './scaler.js';
import { initTf, type Tf } from './tf-backend.js';

/**
 * Dense autoencoder: trained to reproduce normal rows through a narrow bottleneck, it
 * reconstructs rows unlike its training data badly, so the reconstruction error is the score.
 * Inputs are signed-log1p scaled (latencies and counts are heavy-tailed) and then standardized
 * with the training mean/std, so the error is measured in "training standard deviations".
 */

export interface AutoencoderOptions {
  /** Encoder layer sizes, the last one being the bottleneck; the decoder mirrors it. */
  hidden?: number[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Share of training rows held out for early stopping (default 0.1). */
  validationSplit?: number;
  /** Epochs without validation improvement before stopping (default 5). */
  patience?: number;
  seed?: number;
  /** Apply sign(x) * log1p(|x|) before standardizing (default true). */
  logScale?: boolean;
  /**
   * Smallest std used when standardizing (default 0.01). A column constant in training is left
   * out of the network and keeps this std, so a later deviation in it shows up as a large error
   * instead of being dropped.
   */
  stdFloor?: number;
  /** Called after each epoch (progress, diagnostics). */
  onEpoch?: (epoch: number, trainLoss: number, valLoss: number) => void;
}

export interface AutoencoderArtifacts {
  /** tfjs model.json content: topology plus the weights manifest naming `weights.bin`. */
  modelJson: {
    format: 'layers-model';
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: TfTypes.io.WeightsManifestEntry[] }[];
  };
  weights: Uint8Array;
  scaler: ScalerJSON;
}

export interface TrainSummary {
  epochs: number;
  bestEpoch: number;
  trainLoss: number;
  valLoss: number;
}

const SCORE_BATCH = 4096;

export class Autoencoder {
  private constructor(
    private readonly tf: Tf,
    private readonly model: TfTypes.LayersModel,
    private readonly scaler: LogStandardScaler,
    readonly summary: TrainSummary | null,
  ) {}

  get inputDim(): number {
    return this.scaler.dim;
  }

  static async train(input: RowsInput, options: AutoencoderOptions = {}): Promise<Autoencoder> {
    const m = toMatrix(input);
    if (m.rows < 2 || m.cols === 0)
      throw new Error('Autoencoder.train: need at least two rows and one column');
    assertFinite(m, 'Autoencoder.train');
    const { tf } = await initTf();
    const d = m.cols;
    const logScale = options.logScale ?? true;
    const stdFloor = options.stdFloor ?? 0.01;
    const epochs = options.epochs ?? 50;
    const batchSize = options.batchSize ?? 256;
    const patience = options.patience ?? 5;
    const valShare = options.validationSplit ?? 0.1;
    const rng = new Prng(options.seed ?? 1);
    const scaler = LogStandardScaler.fit(m, logScale, stdFloor);
    const a = scaler.active.length;
    if (a === 0)
      throw new Error(`Autoencoder.train: all ${d} columns are constant in training; nothing to learn`);
    const bottleneck = Math.max(1, Math.min(16, Math.ceil(a / 4)));
    const hidden = options.hidden ?? [Math.min(64, Math.max(2 * bottleneck, a)), bottleneck];
    if (hidden.length === 0 || hidden.some((h) => !Number.isInteger(h) || h < 1)) {
      throw new Error(
        `Autoencoder.train: hidden must list positive integer layer sizes, got ${JSON.stringify(hidden)}`,
      );
    }
    const z = scaler.transformActive(m);

    const model = tf.sequential();
    const sizes = [...hidden, ...hidden.slice(0, -1).reverse()];
    sizes.forEach((units, i) => {
      const isBottleneck = i === hidden.length - 1;
      model.add(
        tf.layers.dense({
          units,
          inputShape: i === 0 ? [a] : undefined,
          activation: isBottleneck ? 'linear' : 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: rng.uint32() }),
        }),
      );
    });
    model.add(
      tf.layers.dense({
        units: a,
        activation: 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: rng.uint32() }),
      }),
    );
    model.compile({ optimizer: tf.train.adam(options.learningRate ?? 1e-3), loss: 'meanSquaredError' });

    const order = rng.shuffle(Int32Array.from({ length: m.rows }, (_, i) => i));
    const nVal = m.rows >= 20 ? Math.max(1, Math.floor(m.rows * valShare)) : 0;
    const all = tf.tensor2d(z, [m.rows, a]);
    const xVal = nVal > 0 ? tf.gather(all, order.slice(0, nVal)) : null;
    const trainIdx = order.slice(nVal);
    const xTrain = tf.gather(all, trainIdx);
    all.dispose();

    let best = Infinity;
    let bestEpoch = -1;
    let bestWeights: TfTypes.Tensor[] | null = null;
    let trainLoss = NaN;
    let epoch = 0;
    try {
      for (; epoch < epochs; epoch++) {
        // Our own seeded shuffle each epoch: tfjs's built-in shuffle uses Math.random.
        const perm = tf.tensor1d(
          rng.shuffle(Int32Array.from({ length: trainIdx.length }, (_, i) => i)),
          'int32',
        );
        const xs = tf.gather(xTrain, perm);
        perm.dispose();
        const h = await model.fit(xs, xs, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
        xs.dispose();
        trainLoss = h.history.loss[0] as number;
        const val = xVal === null ? trainLoss : evaluate(tf, model, xVal);
        options.onEpoch?.(epoch, trainLoss, val);
        // Losses are >= 0, so the relative margin also works while best is still Infinity.
        if (val < best * (1 - 1e-7)) {
          best = val;
          bestEpoch = epoch;
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = model.getWeights().map((w) => w.clone());
        } else if (epoch - bestEpoch >= patience) {
          epoch++;
          break;
        }
      }
      if (bestWeights !== null) model.setWeights(bestWeights);
    } catch (err) {
      model.dispose();
      throw err;
    } finally {
      bestWeights?.forEach((w) => w.dispose());
      xTrain.dispose();
      xVal?.dispose();
    }
    return new Autoencoder(tf, model, scaler, { epochs: epoch, bestEpoch, trainLoss, valLoss: best });
  }

  /** Mean squared reconstruction error per row, in standardized units. */
  scoreMany(input: RowsInput): Float64Array {
    const m = this.checkRows(input, 'scoreMany');
    const out = new Float64Array(m.rows);
    this.forEachBatch(m, (err, first, count) => {
      const d = this.inputDim;
      for (let r = 0; r < count; r++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += err[r * d + c];
        out[first + r] = s / d;
      }
    });
    return out;
  }

  score(row: ArrayLike<number>): number {
    return this.scoreMany([row])[0];
  }

  /** Per-dimension squared errors of one row, as shares summing to 1 (uniform when the error is exactly 0). */
  attributions(row: ArrayLike<number>): Float64Array {
    const m = this.checkRows([row], 'attributions');
    const d = this.inputDim;
    const out = new Float64Array(d);
    this.forEachBatch(m, (err) => {
      let total = 0;
      for (let c = 0; c < d; c++) total += err[c];
      for (let c = 0; c < d; c++) out[c] = total > 0 ? err[c] / total : 1 / d;
    });
    return out;
  }

  private checkRows(input: RowsInput, what: string): Matrix {
    const m = toMatrix(input, this.inputDim);
    if (m.cols !== this.inputDim) {
      throw new Error(`Autoencoder.${what}: rows have ${m.cols} values, the model expects ${this.inputDim}`);
    }
    return m;
  }

  /**
   * Squared errors (all columns, standardized units) batch by batch: the network's for active
   * columns, z^2 for columns constant in training. Tensors are freed per batch so memory stays flat.
   */
  private forEachBatch(m: Matrix, fn: (err: Float64Array, first: number, count: number) => void): void {
    const { tf, model, scaler } = this;
    const d = this.inputDim;
    const { active, inactive } = scaler;
    const a = active.length;
    for (let first = 0; first < m.rows; first += SCORE_BATCH) {
      const count = Math.min(SCORE_BATCH, m.rows - first);
      const part: Matrix = { data: m.data.subarray(first * d, (first + count) * d), rows: count, cols: d };
      const z = scaler.transformActive(part);
      const errTensor = tf.tidy(() => {
        const x = tf.tensor2d(z, [count, a]);
        return tf.squaredDifference(model.predict(x) as TfTypes.Tensor, x);
      });
      const netErr = errTensor.dataSync() as Float32Array;
      errTensor.dispose();
      const err = new Float64Array(count * d);
      for (let r = 0; r < count; r++) {
        for (let j = 0; j < a; j++) err[r * d + active[j]] = netErr[r * a + j];
        for (const c of inactive) {
          const v = scaler.z(part.data[r * d + c], c);
          err[r * d + c] = v * v;
        }
      }
      fn(err, first, count);
    }
  }

  async toArtifacts(): Promise<AutoencoderArtifacts> {
    const { tf } = this;
    let saved: TfTypes.io.ModelArtifacts | undefined;
    await this.model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        // The date is not stored; a fixed one keeps the core free of the clock.
        return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
      }),
    );
    if (saved === undefined || saved.weightData === undefined || saved.weightSpecs === undefined) {
      throw new Error('Autoencoder.toArtifacts: tfjs returned no weights');
    }
    const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData));
    return {
      modelJson: {
        format: 'layers-model',
        modelTopology: saved.modelTopology as object,
        weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs }],
      },
      weights,
      scaler: this.scaler.toJSON(),
    };
  }

  static async fromArtifacts(a: AutoencoderArtifacts): Promise<Autoencoder> {
    const { tf } = await initTf();
    const scaler = LogStandardScaler.fromJSON(a?.scaler);
    const manifest = a?.modelJson?.weightsManifest;
    if (
      typeof a?.modelJson?.modelTopology !== 'object' ||
      !Array.isArray(manifest) ||
      manifest.length === 0
    ) {
      throw new Error(
        'Autoencoder.fromArtifacts: modelJson needs "modelTopology" and a non-empty "weightsManifest"',
      );
    }
    if (!(a.weights instanceof Uint8Array))
      throw new Error('Autoencoder.fromArtifacts: "weights" must be a Uint8Array');
    const weightSpecs = manifest.flatMap((g) => g.weights);
    const expected = weightSpecs.reduce((n, s) => n + 4 * s.shape.reduce((x, y) => x * y, 1), 0);
    if (a.weights.byteLength !== expected) {
      throw new Error(
        `Autoencoder.fromArtifacts: weights hold ${a.weights.byteLength} bytes, the manifest needs ${expected}`,
      );
    }
    const weightData = a.weights.buffer.slice(
      a.weights.byteOffset,
      a.weights.byteOffset + a.weights.byteLength,
    );
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: a.modelJson.modelTopology,
        weightSpecs,
        weightData: weightData as ArrayBuffer,
      }),
    );
    const inputDim = model.inputs[0].shape[1];
    if (inputDim !== scaler.active.length) {
      model.dispose();
      throw new Error(
        `Autoencoder.fromArtifacts: model takes ${inputDim} inputs, the scaler has ${scaler.active.length} active columns`,
      );
    }
    return new Autoencoder(tf, model, scaler, null);
  }

  dispose(): void {
    this.model.dispose();
  }
}

function evaluate(tf: Tf, model: TfTypes.LayersModel, x: TfTypes.Tensor): number {
  const loss = tf.tidy(() => tf.losses.meanSquaredError(x, model.predict(x) as TfTypes.Tensor));
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}
