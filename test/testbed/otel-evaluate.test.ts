import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/incident.js';
import { evaluate, type FaultWindow, type SeenIncident } from '../../testbed/otel-app/evaluate.js';

const T = Date.parse('2026-12-01T10:00:00Z');
const s = (sec: number) => T + sec * 1000;
const iso = (sec: number) => new Date(s(sec)).toISOString();

function incident(id: string, startS: number, endS: number, causes: string[], seenS: number): SeenIncident {
  const i: Incident = {
    id,
    status: 'resolved',
    start: iso(startS),
    end: iso(endS),
    endpoints: ['frontend:GET /'],
    signals: [],
    traceIds: [],
    traceCount: 1,
    rootCauses: causes.map((service, k) => ({ service, score: 1 - k / 10, evidence: 'x' })),
    revision: 1,
  };
  return { incident: i, firstSeenAt: s(seenS), firstCauseAtOpen: causes[0] };
}

// Faults A (payment, 0..90 s after 10:03) and B (cart, 135..225 s after 10:03).
const faults: FaultWindow[] = [
  { name: 'A', service: 'payment', kind: 'latency', start: s(180), end: s(270) },
  { name: 'B', service: 'cart', kind: 'errors', start: s(315), end: s(405) },
];

describe('testbed figures', () => {
  it('gives each fault the incident that overlaps it and names its service first, and times its opening', () => {
    const r = evaluate({
      faults,
      incidents: [
        incident('1', 180, 300, ['payment', 'frontend'], 250),
        incident('2', 300, 420, ['cart'], 380),
      ],
      anomalies: [],
      requests: [],
      injected: [],
      stalls: [],
      modelsReadyAt: s(0),
      loadEnd: s(600),
    });
    expect(r.faults.map((f) => [f.ownIncident, f.firstCause, f.openedAfterS])).toEqual([
      ['1', 'payment', 70],
      ['2', 'cart', 65],
    ]);
    expect(r.falseIncidents).toEqual([]);
    expect(r.strayIncidents).toEqual([]);
  });

  it('does not let one incident that folded a later fault in count as the later fault’s own', () => {
    // Opened for A, stayed open over B and ends up blaming cart: B has no incident of its own, A neither.
    const r = evaluate({
      faults,
      incidents: [incident('1', 180, 420, ['cart', 'payment'], 250)],
      anomalies: [],
      requests: [],
      injected: [],
      stalls: [],
      modelsReadyAt: s(0),
      loadEnd: s(600),
    });
    expect(r.faults.map((f) => f.ownIncident)).toEqual([undefined, undefined]);
    expect(r.faults.map((f) => f.firstCause)).toEqual(['cart', 'cart']);
    expect(r.strayIncidents).toEqual(['1']);
  });

  it('counts an incident away from every fault as false, and a second one for a fault as stray', () => {
    const r = evaluate({
      faults,
      incidents: [
        incident('1', 180, 300, ['payment'], 250),
        incident('2', 180, 240, ['frontend'], 260),
        incident('3', 540, 600, ['catalog'], 590),
        incident('4', 300, 420, ['cart'], 380),
      ],
      anomalies: [],
      requests: [],
      injected: [],
      stalls: [],
      modelsReadyAt: s(0),
      loadEnd: s(600),
    });
    expect(r.falseIncidents).toEqual(['3']);
    expect(r.strayIncidents).toEqual(['2']);
  });

  it('rates anomalies per request over the fault-free stretches only, after the models are active', () => {
    const requests = [10, 50, 100, 200, 290, 500, 550].map((t) => ({
      page: 'GET /',
      start: s(t),
      ms: 5,
      status: 200,
    }));
    const anomalies = [
      { traceId: 'a', start: s(10) }, // before the models: not counted
      { traceId: 'b', start: s(200) }, // in fault A
      { traceId: 'c', start: s(550) },
    ];
    const r = evaluate({
      faults,
      incidents: [],
      anomalies,
      requests,
      injected: [],
      stalls: [],
      modelsReadyAt: s(40),
      loadEnd: s(600),
    });
    // Fault-free: 50, 100, 290 (after A's end plus 15 s, before B's start less 15 s), 500, 550.
    expect(r.cleanRequests).toBe(5);
    expect(r.cleanAnomalies).toBe(1);
    // Before fault A (180 s): 50 and 100, neither flagged.
    expect([r.cleanRequestsBefore, r.cleanAnomaliesBefore]).toEqual([2, 0]);
  });

  it('leaves host stalls out of the fault-free stretches and counts what met them apart', () => {
    const requests = [50, 100, 549.5, 551, 553].map((t) => ({
      page: 'GET /',
      start: s(t),
      ms: 5,
      status: 200,
    }));
    const anomalies = [
      { traceId: 'a', start: s(549.5) }, // a second before the stall: met it
      { traceId: 'b', start: s(553) }, // two seconds after it: fault-free
    ];
    const r = evaluate({
      faults,
      incidents: [],
      anomalies,
      requests,
      injected: [],
      // Stalls during fault A (200 s) and before the models (20 s) are not the fault-free stretches'.
      stalls: [
        { service: 'cart', start: s(550), end: s(550.2) },
        { service: 'cart', start: s(20), end: s(20.1) },
        { service: 'cart', start: s(200), end: s(200.1) },
      ],
      modelsReadyAt: s(40),
      loadEnd: s(600),
    });
    expect([r.cleanRequests, r.cleanAnomalies]).toEqual([3, 1]);
    expect([r.stalls, r.stallRequests, r.stallAnomalies]).toEqual([1, 2, 1]);
  });

  it('counts per trace only the traces one fault changed, flagged and blamed on its service', () => {
    const injected = [
      { traceId: 't1', service: 'payment', kind: 'latency' as const, at: s(190) },
      { traceId: 't2', service: 'payment', kind: 'latency' as const, at: s(200) },
      { traceId: 't3', service: 'payment', kind: 'latency' as const, at: s(210) },
      { traceId: 't4', service: 'payment', kind: 'latency' as const, at: s(330) }, // after A: no fault's
      { traceId: 't5', service: 'cart', kind: 'errors' as const, at: s(320) },
    ];
    const anomalies = [
      { traceId: 't1', start: s(190), firstCause: 'payment' },
      { traceId: 't2', start: s(200), firstCause: 'frontend' },
      { traceId: 't5', start: s(320), firstCause: 'cart' },
    ];
    const r = evaluate({
      faults,
      incidents: [],
      anomalies,
      requests: [],
      injected,
      stalls: [],
      modelsReadyAt: s(0),
      loadEnd: s(600),
    });
    expect(r.faults.map((f) => [f.injectedTraces, f.flagged, f.top1])).toEqual([
      [3, 2, 1],
      [1, 1, 1],
    ]);
  });
});
