import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/incident.js';
import { incidentOutcomes } from '../../testbed/heldout-sim/eval/incident-outcomes.js';
import type { FaultWindow } from '../../testbed/heldout-sim/model.js';

const T0 = Date.UTC(2026, 2, 10, 12, 0) * 1000;
const min = (m: number) => T0 + m * 60e6;
const iso = (m: number) => new Date(min(m) / 1000).toISOString();

function fault(id: string, cause: string, from: number, to: number): FaultWindow {
  return {
    id,
    kind: id,
    group: 'single',
    start: min(from),
    end: min(to),
    rootCause: [cause],
    description: '',
  };
}

function incident(from: number, to: number, firstCause: string): Incident {
  return {
    id: `${from}-${firstCause}`,
    status: 'resolved',
    start: iso(from),
    end: iso(to),
    endpoints: ['gw:GET /'],
    signals: [],
    traceIds: [],
    traceCount: 3,
    rootCauses: [{ service: firstCause, score: 0.9, evidence: '' }],
    revision: 1,
  };
}

const period = { start: min(0), end: min(120) };

describe('held-out incident outcomes', () => {
  it('gives each fault the incident that opened during it and names it', () => {
    const faults = [fault('a', 'auth', 10, 16), fault('b', 'geo', 40, 46)];
    const r = incidentOutcomes(faults, [incident(11, 18, 'auth'), incident(41, 47, 'geo')], period);
    expect(r.faults.map((f) => [f.own, f.rootCauseFirst, f.openedAfterS])).toEqual([
      [true, true, 120],
      [true, true, 120],
    ]);
    expect(r.falseIncidents).toBe(0);
  });

  it('counts an incident that opened before any fault as false, even when it runs into one', () => {
    const r = incidentOutcomes([fault('a', 'auth', 30, 36)], [incident(20, 33, 'auth')], period);
    expect(r.falseIncidents).toBe(1);
    expect(r.faults[0].own).toBe(false);
    // 120 minutes less the fault's 6, a minute before it and two after it
    expect(r.faultFreeHours).toBeCloseTo((120 - 9) / 60, 6);
  });

  it('reports a fault folded into the incident of an overlapping one', () => {
    const faults = [fault('a', 'eta', 10, 17), fault('b', 'fraud', 13, 20)];
    const r = incidentOutcomes(faults, [incident(11, 21, 'fraud')], period);
    expect(r.faults.map((f) => [f.faultId, f.own, f.rootCauseFirst, f.foldedInto])).toEqual([
      ['a', false, false, ['b']],
      ['b', true, true, []],
    ]);
  });

  it('gives an incident with a wrong first cause to the latest fault it opened during', () => {
    const faults = [fault('a', 'eta', 10, 17), fault('b', 'fraud', 13, 20)];
    const r = incidentOutcomes(faults, [incident(14, 21, 'payments')], period);
    expect(r.faults.map((f) => [f.own, f.rootCauseFirst, f.firstCauses])).toEqual([
      [false, false, []],
      [true, false, ['payments']],
    ]);
  });
});
