import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModelSet } from '../../src/scoring/train.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { ScoredTraceSchema } from '../../src/scoring/scored-trace.js';
import { loadModelSet, saveModelSet } from '../../src/registry/model-dir.js';
import { rocAuc } from '../../src/detectors/metrics.js';
import { combineScores } from '../../src/detectors/calibration.js';
import { normalTraffic } from '../helpers/traffic.js';

describe('model set: train, score, save, load', () => {
  let model: ModelSet;
  let dir: string;
  const { traffic, traces } = normalTraffic(7, 900);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tracehound-model-'));
    model = await trainModelSet(traces, { seed: 3, minEndpointTraces: 150 });
  }, 120_000);
  afterAll(() => {
    model?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('learns per-endpoint models for busy endpoints and sets a threshold from the target FPR', () => {
    expect(model.endpoints.size).toBe(2); // checkout and home; the rare report endpoint has too few traces
    expect(model.manifest.counts.traces).toBe(traces.length);
    expect(model.threshold).toBeGreaterThan(0);
    expect(model.threshold).toBeLessThan(1);
    expect(model.manifest.metrics.calibrationFlagRate).toBeLessThanOrEqual(0.011);
  });

  it('ranks injected faults above fresh normal traffic, with valid scored-trace records', () => {
    const normal = normalTraffic(99, 300).traces;
    const faulty = [
      ...Array.from({ length: 20 }, () => traffic.checkout({ slowLeaf: 20 })),
      ...Array.from({ length: 20 }, () => traffic.checkout({ deepError: true })),
      ...Array.from({ length: 20 }, () => traffic.home({ nPlusOne: 12 })),
    ];
    const scored = model.score([...normal, ...faulty]);
    for (const s of scored) expect(() => ScoredTraceSchema.parse(s)).not.toThrow();
    const labels = scored.map((_, i) => i >= normal.length);
    expect(
      rocAuc(
        scored.map((s) => s.score),
        labels,
      ),
    ).toBeGreaterThan(0.97);
    const flagged = scored.slice(normal.length).filter((s) => s.anomalous);
    expect(flagged.length).toBeGreaterThanOrEqual(55);
    const falsePositives = scored.slice(0, normal.length).filter((s) => s.anomalous).length;
    expect(falsePositives).toBeLessThanOrEqual(12); // 1% target, small-sample slack
    const slow = scored[normal.length];
    expect(slow.rootCauses[0]).toMatchObject({ service: 'payment', kind: 'latency' });
    expect(Object.keys(slow.detectors).sort()).toEqual(['autoencoder', 'baseline', 'forest']);
  });

  it('combines by view: Fisher across the baseline and the vector view, the more surprised within it', () => {
    expect(model.manifest.combine).toBe('views');
    const fisher = (ps: number[]) => combineScores(ps, undefined, 'fisher');
    // The vector view is the more surprised of forest and autoencoder, its tail doubled for two looks.
    expect(model.combine({ baseline: 0.9, forest: 0.99, autoencoder: 0.6 })).toBeCloseTo(
      fisher([0.9, 0.98]),
      12,
    );
    // A view blind to the fault (ordinary p) costs less than under Fisher over all three detectors.
    const blind = { baseline: 0.9995, forest: 0.5, autoencoder: 0.5 };
    expect(model.combine(blind)).toBeGreaterThan(fisher(Object.values(blind)));
    // Both views weakly surprised add up; one detector alone would not say as much.
    expect(model.combine({ baseline: 0.99, forest: 0.995, autoencoder: 0.3 })).toBeGreaterThan(0.995);
    // An endpoint without models of its own: the baseline alone.
    expect(model.combine({ baseline: 0.97 })).toBe(0.97);
  });

  it('saves to a directory and loads back with identical scores', async () => {
    await saveModelSet(dir, model);
    for (const f of [
      'manifest.json',
      'baseline.json',
      'endpoints.json',
      'autoencoders/0/model.json',
      'autoencoders/0/weights.bin',
    ])
      expect(existsSync(join(dir, f))).toBe(true);
    const loaded = await loadModelSet(dir);
    const sample = normalTraffic(5, 30).traces;
    const a = model.score(sample).map((s) => s.score);
    const b = loaded.score(sample).map((s) => s.score);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 6);
    loaded.dispose();
  });

  it('refuses a model set it cannot read (another feature-schema version, an unknown combine) with a clear message', async () => {
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...manifest, featureSchemaVersion: 999 }));
    await expect(loadModelSet(dir)).rejects.toThrow(/feature schema version 999.*retrain/);
    await expect(loadModelSet(join(dir, 'nope'))).rejects.toThrow(/not a model directory/);
    writeFileSync(path, JSON.stringify({ ...manifest, combine: 'median' }));
    await expect(loadModelSet(dir)).rejects.toThrow(/combines scores by "median".*retrain/);
  });
});
