import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder } from '../../src/detectors/autoencoder.js';
import { rocAuc } from '../../src/detectors/metrics.js';
import { Prng } from '../../src/detectors/prng.js';
import { initTf } from '../../src/detectors/tf-backend.js';
import { loadAutoencoder, saveAutoencoder } from '../../src/registry/tf-files.js';
import { gaussian } from '../helpers/gaussian.js';

const D = 12;
const PERTURBED = 5;

/** Rank-2 data: every row is a mix of two fixed directions plus a little noise. */
function lowRank(rng: Prng, n: number): Float64Array[] {
  const basis = [0, 1].map((k) =>
    Float64Array.from({ length: D }, (_, c) => Math.sin((c + 1) * (k + 1) * 0.7) * 3),
  );
  return Array.from({ length: n }, () => {
    const a = gaussian(rng);
    const b = gaussian(rng);
    return Float64Array.from(
      { length: D },
      (_, c) => a * basis[0][c] + b * basis[1][c] + 0.05 * gaussian(rng),
    );
  });
}

describe('Autoencoder', () => {
  let model: Autoencoder;
  let normal: Float64Array[];
  let anomalies: Float64Array[];
  let dir: string;

  beforeAll(async () => {
    const rng = new Prng(21);
    model = await Autoencoder.train(lowRank(rng, 1500), {
      epochs: 40,
      batchSize: 64,
      seed: 3,
      learningRate: 3e-3,
      logScale: false,
    });
    normal = lowRank(rng, 200);
    // Break the low-rank structure in one column only.
    anomalies = lowRank(rng, 50).map((row) => {
      row[PERTURBED] += 6;
      return row;
    });
    dir = await mkdtemp(join(tmpdir(), 'tracehound-ae-'));
  });

  afterAll(async () => {
    model?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scores rows off the learned subspace higher', () => {
    const scores = model.scoreMany([...normal, ...anomalies]);
    const labels = scores.map((_, i) => (i >= normal.length ? 1 : 0));
    expect(rocAuc(scores, labels)).toBeGreaterThan(0.97);
  });

  it('attributes the error to the perturbed dimension', () => {
    let hits = 0;
    for (const row of anomalies) {
      const a = model.attributions(row);
      expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
      if (a.indexOf(Math.max(...a)) === PERTURBED) hits++;
    }
    expect(hits / anomalies.length).toBeGreaterThan(0.9);
  });

  it('keeps tensor memory flat over repeated scoring', async () => {
    const { tf } = await initTf();
    model.scoreMany(normal);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) model.scoreMany(normal);
    model.attributions(anomalies[0]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the same scores after artifacts and files round trips', async () => {
    const rows = [...normal.slice(0, 50), ...anomalies];
    const expected = Array.from(model.scoreMany(rows));
    const fromMemory = await Autoencoder.fromArtifacts(await model.toArtifacts());
    expect(Array.from(fromMemory.scoreMany(rows))).toEqual(expected);
    fromMemory.dispose();

    await saveAutoencoder(dir, model);
    const fromFiles = await loadAutoencoder(dir);
    expect(Array.from(fromFiles.scoreMany(rows))).toEqual(expected);
    fromFiles.dispose();
  });

  it('rejects artifacts whose weights do not match the manifest', async () => {
    const a = await model.toArtifacts();
    await expect(Autoencoder.fromArtifacts({ ...a, weights: a.weights.subarray(4) })).rejects.toThrow(
      /weights hold \d+ bytes, the manifest needs \d+/,
    );
  });

  it('scores deviations in a column that was constant in training', async () => {
    const rng = new Prng(8);
    const rows = lowRank(rng, 300).map((r) => Float64Array.from([...r, 0]));
    const small = await Autoencoder.train(rows, { epochs: 5, seed: 1 });
    const probe = Float64Array.from(rows[0]);
    const base = small.score(probe);
    probe[D] = 10;
    expect(small.score(probe)).toBeGreaterThan(base + 1);
    expect(small.attributions(probe)[D]).toBeGreaterThan(0.9);
    small.dispose();
  });
});
