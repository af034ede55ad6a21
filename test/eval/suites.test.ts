/**
 * Smoke runs of every suite on a tiny sample. Real-data suites need ../shared/datasets and are skipped
 * without it; the simulated one always runs.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { runSuite, type SuiteResult } from '../../src/eval/run.js';
import type { ShapleyIqResult } from '../../src/eval/suites/shapleyiq.js';
import type { NezhaResult } from '../../src/eval/suites/nezha.js';
import type { TraceAnomalyResult } from '../../src/eval/suites/traceanomaly.js';
import type { SimResult } from '../../src/eval/suites/sim.js';
import { disposeSimModels } from '../../src/eval/suites/sim.js';
import { markdownFor } from '../../src/eval/markdown.js';
import { curvesFor } from '../../src/eval/notebook.js';

const DATA = '../shared/datasets';
const has = (name: string) => existsSync(`${DATA}/${name}`);
const quiet = { data: DATA, seed: 3, log: () => {} };

function checkCommon(r: SuiteResult): void {
  expect(r.cost.trainSeconds).toBeGreaterThan(0);
  expect(r.cost.peakRssMb).toBeGreaterThan(0);
  expect(markdownFor(r)).toMatch(/\| --- \|/);
}

describe('suite smoke runs', () => {
  it.skipIf(!has('shapleyiq-trainticket'))('shapleyiq-trainticket', async () => {
    const r = (await runSuite('shapleyiq-trainticket', { ...quiet, sample: 12 })) as ShapleyIqResult;
    expect(r.counts.cases).toBe(12);
    expect(r.rca.all.cases + r.counts.casesWithoutTraces).toBe(12);
    expect(r.rca.all.top[1]).toBeGreaterThanOrEqual(0);
    expect(r.rca.all.top[3]).toBeGreaterThanOrEqual(r.rca.all.top[1]);
    expect(r.detection!.rocAuc).toBeGreaterThan(0.5);
    checkCommon(r);
    // Deterministic under the seed.
    const again = (await runSuite('shapleyiq-trainticket', { ...quiet, sample: 12 })) as ShapleyIqResult;
    expect(again.rca).toEqual(r.rca);
  });

  it.skipIf(!has('nezha-trainticket'))('nezha-trainticket', async () => {
    const r = (await runSuite('nezha-trainticket', { ...quiet, sample: 2 })) as NezhaResult;
    expect(r.counts.faults).toBe(2);
    expect(r.faults.length + r.counts.faultsWithoutTraces).toBe(2);
    for (const f of r.faults) {
      expect(f.traces).toBeGreaterThan(0);
      expect(f.rank).toBeGreaterThanOrEqual(1);
    }
    expect(r.published[0].as1).toBeCloseTo(0.8667, 4);
    // End to end: both faults matched against what the CLI's incident path opened.
    expect(r.endToEnd.summary.faults).toBe(2);
    for (const f of r.faults) expect(r.endToEnd.faults.map((e) => e.id)).toContain(f.faultId);
    expect(r.endToEnd.summary.asK[3]).toBeGreaterThanOrEqual(r.endToEnd.summary.asK[1]);
    checkCommon(r);
  });

  it.skipIf(!has('nezha-onlineboutique'))('nezha-onlineboutique', async () => {
    const r = (await runSuite('nezha-onlineboutique', { ...quiet, sample: 2 })) as NezhaResult;
    expect(r.counts.faults).toBe(2);
    expect(r.rankingAllFaults.cases).toBe(2);
    checkCommon(r);
  });

  it.skipIf(!has('traceanomaly-vectors'))('traceanomaly', async () => {
    const r = (await runSuite('traceanomaly', { ...quiet, sample: 40 })) as TraceAnomalyResult;
    expect(r.counts.abnormal).toBe(40);
    expect(r.detectors.map((d) => d.detector)).toEqual([
      'sum of vector',
      'isolation forest (ours)',
      'autoencoder (ours)',
    ]);
    for (const d of r.detectors) expect(d.rocAuc).toBeGreaterThan(0.5);
    expect(curvesFor(r).map((c) => c.name)).toEqual(['roc', 'pr']);
  });

  it('sim-shop-latency', async () => {
    const r = (await runSuite('sim-shop-latency', { seed: 3, sample: 60, log: () => {} })) as SimResult;
    disposeSimModels();
    expect(r.counts.traces).toBe(600);
    expect(r.counts.anomalous).toBeGreaterThan(0);
    // A 40x latency fault on one operation is easy: anything less is a real regression.
    expect(r.detection!.rocAuc).toBeGreaterThan(0.9);
    expect(r.rca.service.top[1]).toBeGreaterThan(0.8);
    checkCommon(r);
  });
});
