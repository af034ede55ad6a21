import { beforeAll, describe, expect, it } from 'vitest';
import { generate, getScenario } from '../../src/sim/index.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { trainModelSet } from '../../src/scoring/train.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { IncidentRun } from '../../src/incidents/incident-run.js';
import { IncidentSchema, type Incident } from '../../src/incidents/incident.js';

const traces = (name: string, seed: number, durationS?: number) =>
  generate(getScenario(name), { seed, durationS }).traces.map((s) => normalizeTrace(s[0].traceId, s));

let model: ModelSet;
beforeAll(async () => {
  // The baseline alone keeps this quick; the incident layer reads only the baseline and the verdicts.
  model = await trainModelSet(traces('shop-normal', 2, 300), { seed: 1, forest: false, autoencoder: false });
}, 120_000);

async function incidentsOf(
  name: string,
): Promise<{ incidents: Incident[]; fault: { start: number; end: number } }> {
  const gen = generate(getScenario(name), { seed: 1 });
  const ts = gen.traces.map((s) => normalizeTrace(s[0].traceId, s));
  const scored = model.score(ts);
  const run = new IncidentRun(model.baseline);
  ts.forEach((t, i) => run.add(t, scored[i]));
  return { incidents: await run.incidents(), fault: gen.truth.faults[0] };
}

const us = (iso: string) => Date.parse(iso) * 1000;

describe('IncidentRun on a simulated fault', () => {
  it('opens one incident over the fault, names the slowed service first, and resolves it', async () => {
    const { incidents, fault } = await incidentsOf('shop-latency');
    expect(incidents).toHaveLength(1);
    const inc = incidents[0];
    expect(IncidentSchema.parse(inc)).toEqual(inc);
    expect(inc.status).toBe('resolved');
    expect(us(inc.start)).toBeLessThanOrEqual(fault.end);
    expect(us(inc.end)).toBeGreaterThanOrEqual(fault.start);
    // Opened within two minutes of the fault starting.
    expect(us(inc.start) - fault.start).toBeLessThan(120e6);
    expect(inc.rootCauses[0].service).toBe('productcatalogservice');
    expect(inc.rootCauses[0].evidence.length).toBeGreaterThan(20);
    expect(inc.traceIds.length).toBeGreaterThan(0);
    expect(inc.endpoints.length).toBeGreaterThan(0);
  }, 120_000);

  it('opens nothing on fault-free traffic', async () => {
    const ts = traces('shop-normal', 5, 300);
    const scored = model.score(ts);
    const run = new IncidentRun(model.baseline);
    ts.forEach((t, i) => run.add(t, scored[i]));
    expect(await run.incidents()).toEqual([]);
  }, 120_000);
});
