import { describe, expect, it } from 'vitest';
import { IncidentTracker, suspectOf, type MinuteAnomaly } from '../../src/incidents/tracker.js';
import { MINUTE_US, type Signal } from '../../src/incidents/signal.js';
import { IncidentSchema, type IncidentRootCause } from '../../src/incidents/incident.js';

const T0 = 1_700_000_000_000_000 - (1_700_000_000_000_000 % MINUTE_US);
const at = (k: number) => T0 + k * MINUTE_US;

function signal(minute: number, key: string, strength = 1.5, type: 'endpoint' | 'edge' = 'endpoint'): Signal {
  return {
    kind: type === 'edge' ? 'latency-shift' : 'anomaly-rate',
    target: { type, key },
    minute,
    strength,
    value: 0.3,
    baseline: 0.01,
    evidence: 'test',
  };
}

const flagged = (endpoint: string, suspect: string, n: number, tag: string): MinuteAnomaly[] =>
  Array.from({ length: n }, (_, i) => ({ traceId: `${tag}${i}`, score: 0.99, endpoint, suspect }));

/** A ranker that names the incident's suspect first, then its runner-up (pay's is db, the others' cache). */
const rankSuspect =
  () =>
  (suspect: string): IncidentRootCause[] => [
    { service: suspect, score: 0.7, evidence: 'x' },
    { service: suspect === 'pay' ? 'db' : 'cache', score: 0.3, evidence: 'y' },
  ];

describe('IncidentTracker', () => {
  it('needs a suspect to fire in two of three minutes before it opens, then resolves after a quiet spell', () => {
    const tr = new IncidentTracker();
    const rank = rankSuspect();
    expect(
      tr.observe(at(0), [signal(at(0), 'web:GET /')], flagged('web:GET /', 'pay', 3, 'a'), rank),
    ).toEqual([]);
    const opened = tr.observe(at(1), [signal(at(1), 'web:GET /')], flagged('web:GET /', 'pay', 4, 'b'), rank);
    expect(opened.map((e) => e.type)).toEqual(['incident.opened']);
    const inc = opened[0].incident;
    expect(IncidentSchema.parse(inc)).toEqual(inc);
    expect(inc.start).toBe(new Date(at(0) / 1000).toISOString());
    expect(inc.rootCauses[0].service).toBe('pay');
    expect(inc.endpoints).toEqual(['web:GET /']);
    // The flagged traces of the minute before it opened belong to it too.
    expect(inc.traceCount).toBe(7);

    const updated = tr.observe(
      at(2),
      [signal(at(2), 'web:GET /', 2)],
      flagged('web:GET /', 'pay', 2, 'c'),
      rank,
    );
    expect(updated.map((e) => e.type)).toEqual(['incident.updated']);
    expect(updated[0].incident.id).toBe(inc.id);
    expect(updated[0].incident.revision).toBeGreaterThan(inc.revision);
    expect(updated[0].incident.traceCount).toBe(9);

    const later: string[] = [];
    for (let k = 3; k <= 8; k++) later.push(...tr.observe(at(k), [], [], rank).map((e) => e.type));
    expect(later).toEqual(['incident.resolved']);
    expect(tr.openIncidents()).toEqual([]);
  });

  it('one noisy minute opens nothing, a strong signal opens at once', () => {
    const tr = new IncidentTracker();
    const rank = rankSuspect();
    expect(tr.observe(at(0), [signal(at(0), 'a:x')], [], rank)).toEqual([]);
    expect(tr.observe(at(3), [signal(at(3), 'a:x')], [], rank)).toEqual([]);
    const strong = tr.observe(at(10), [signal(at(10), 'b:y', 5)], [], rank);
    expect(strong.map((e) => e.type)).toEqual(['incident.opened']);
    expect(strong[0].incident.rootCauses[0].service).toBe('b');
  });

  it('keeps concurrent faults apart and folds echoes of one fault into its incident', () => {
    const tr = new IncidentTracker();
    const rank = rankSuspect();
    const calls = new Map([['gateway', new Set(['pay'])]]);
    const minute = (k: number) =>
      tr.observe(
        at(k),
        [
          signal(at(k), 'web:GET /', 3),
          signal(at(k), 'search:q', 3),
          // db is pay's runner-up root cause, gateway calls pay: both are the pay fault seen elsewhere.
          signal(at(k), 'api:x->db:select', 2, 'edge'),
          signal(at(k), 'edge:in->gateway:route', 2, 'edge'),
        ],
        [...flagged('web:GET /', 'pay', 5, `w${k}`), ...flagged('search:q', 'index', 5, `s${k}`)],
        rank,
        calls,
      );
    const first = minute(0);
    expect(first.filter((e) => e.type === 'incident.opened')).toHaveLength(2);
    const suspects = first.map((e) => e.incident.rootCauses[0].service).sort();
    expect(suspects).toEqual(['index', 'pay']);
    const pay = first.find((e) => e.incident.rootCauses[0].service === 'pay')!.incident;
    expect(pay.signals.map((s) => s.target.key).sort()).toEqual(
      ['api:x->db:select', 'edge:in->gateway:route', 'web:GET /'].sort(),
    );
    expect(minute(1).every((e) => e.type === 'incident.updated')).toBe(true);
    expect(tr.openIncidents()).toHaveLength(2);
  });

  it('survives a round trip through its JSON state', () => {
    const rank = rankSuspect();
    const a = new IncidentTracker();
    a.observe(at(0), [signal(at(0), 'web:GET /')], flagged('web:GET /', 'pay', 2, 'a'), rank);
    a.observe(at(1), [signal(at(1), 'web:GET /')], flagged('web:GET /', 'pay', 2, 'b'), rank);
    const b = IncidentTracker.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    const next = (t: IncidentTracker) =>
      t.observe(at(2), [signal(at(2), 'web:GET /')], flagged('web:GET /', 'pay', 2, 'c'), rank);
    expect(next(b)).toEqual(next(a));
  });

  it('refuses minutes out of order, saying which', () => {
    const tr = new IncidentTracker();
    tr.observe(at(5), [], [], rankSuspect());
    expect(() => tr.observe(at(4), [], [], rankSuspect())).toThrow(/not after the last one observed/);
  });

  it('flush resolves what is still open', () => {
    const tr = new IncidentTracker();
    tr.observe(at(0), [signal(at(0), 'a:x', 9)], [], rankSuspect());
    const out = tr.flush();
    expect(out.map((e) => [e.type, e.incident.status])).toEqual([['incident.resolved', 'resolved']]);
  });
});

describe('suspectOf', () => {
  it("blames an edge's latency on the callee and an endpoint's anomalies on what its traces blame", () => {
    expect(suspectOf(signal(at(0), 'web:GET /->cart:Get', 2, 'edge'), [])).toBe('cart');
    const votes = [...flagged('web:GET /', 'db', 3, 'a'), ...flagged('web:GET /', 'cart', 1, 'b')];
    expect(suspectOf(signal(at(0), 'web:GET /'), votes)).toBe('db');
    expect(suspectOf(signal(at(0), 'web:GET /'), [])).toBe('web');
  });
});
