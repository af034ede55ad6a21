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
import { byRank } from '../../src/scoring/rank.js';

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

  it('ranks past saturation: surprise keeps growing, impact separates, the threshold decision is the score', () => {
    const faulty = [
      ...Array.from({ length: 20 }, (_, k) => traffic.checkout({ slowLeaf: 20 + 10 * k })),
      ...Array.from({ length: 20 }, () => traffic.checkout({ deepError: true })),
      ...Array.from({ length: 20 }, () => traffic.home({ nPlusOne: 12 })),
    ];
    const scored = model.score([...normalTraffic(98, 200).traces, ...faulty]);
    for (const s of scored) {
      // Above the threshold is necessary; a surprise the caller did not feel stays unflagged (felt.test.ts).
      if (s.anomalous) expect(s.score).toBeGreaterThan(model.threshold);
      expect(s.score).toBe(model.combine(s.detectors));
    }
    // Every fault here is felt: slower requests, errors, changed calls.
    for (const s of scored.slice(-60)) expect(s.anomalous).toBe(s.score > model.threshold);
    // Where score has not saturated, surprise orders the same way.
    const open = scored.filter((s) => s.score < 1 - 1e-9);
    for (let i = 1; i < open.length; i++) {
      const [a, b] = [open[i - 1], open[i]];
      if (Math.abs(a.score - b.score) > 1e-9)
        expect(Math.sign(a.surprise! - b.surprise!)).toBe(Math.sign(a.score - b.score));
    }
    const flagged = scored.filter((s) => s.anomalous);
    const top = [...flagged].sort(byRank);
    const tied = top.filter((s) => byRank(s, top[0]) === 0).length;
    expect(tied / flagged.length).toBeLessThanOrEqual(0.05);
    // Slower is more surprising, also where the score reads 1.
    const slow = scored.slice(-60, -40);
    expect(slow.filter((s) => s.score === 1).length).toBeGreaterThan(1);
    expect(new Set(slow.map((s) => s.surprise)).size).toBe(slow.length);
    // Latency counts in log space, so x20 against x210 is a clear step; neighbours may swap with other noise.
    expect(slow[19].surprise!).toBeGreaterThan(slow[0].surprise!);
    // Surprise of a strong anomaly stays a number a person can read (rare as 1 in 10^n, n in the tens or hundreds).
    expect(slow[19].surprise!).toBeLessThan(1000);
    for (const s of slow) expect(s.impact!.addedMs).toBeGreaterThan(100);
    expect(slow[19].impact!.addedMs).toBeGreaterThan(slow[0].impact!.addedMs + 1000);
    for (const s of scored.slice(-40, -20)) expect(s.impact!.errors).toBeGreaterThanOrEqual(1);
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
