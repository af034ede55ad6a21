import { describe, expect, it } from 'vitest';
import { IncidentTracker, suspectOf, type MinuteAnomaly } from '../../src/incidents/tracker.js';
import { MINUTE_US } from '../../src/traffic/minute.js';
import type { Signal } from '../../src/incidents/signal.js';
import { IncidentSchema, type IncidentRootCause } from '../../src/incidents/incident.js';

const T0 = 1_700_000_000_000_000 - (1_700_000_000_000_000 % MINUTE_US);
const at = (k: number) => T0 + k * MINUTE_US;

function signal(
  minute: number,
  key: string,
  strength = 1.5,
  type: 'endpoint' | 'edge' | 'service' = 'endpoint',
): Signal {
  return {
    kind: type === 'endpoint' ? 'anomaly-rate' : 'latency-shift',
    target: { type, key },
    minute,
    strength,
    value: 0.3,
    baseline: 0.01,
    evidence: `${key} test`,
    ...(type === 'service' ? { suspect: key } : {}),
  };
}

/** A service signal: the service's own spans slower (evidence of its own). */
const own = (minute: number, service: string, strength = 2) => signal(minute, service, strength, 'service');

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
    expect(tr.observe(at(0), [signal(at(0), 'a:x')], flagged('a:x', 'a', 2, 'a'), rank)).toEqual([]);
    expect(tr.observe(at(3), [signal(at(3), 'a:x')], flagged('a:x', 'a', 2, 'b'), rank)).toEqual([]);
    const strong = tr.observe(at(10), [signal(at(10), 'b:y', 5)], flagged('b:y', 'b', 2, 'c'), rank);
    expect(strong.map((e) => e.type)).toEqual(['incident.opened']);
    expect(strong[0].incident.rootCauses[0].service).toBe('b');
  });

  it('opens nothing that has no endpoint or trace to show, however loud', () => {
    const tr = new IncidentTracker();
    expect(tr.observe(at(0), [own(at(0), 'pay', 9)], [], rankSuspect())).toEqual([]);
    // With the traces that deviated at the service, the same signal opens an incident showing them.
    const examples = new Map([['pay', [['t1', 3, 'web:GET /'] as const]]]);
    const opened = tr.observe(at(1), [own(at(1), 'pay', 9)], [], rankSuspect(), new Map(), examples);
    expect(opened.map((e) => e.type)).toEqual(['incident.opened']);
    expect(opened[0].incident.traceIds).toEqual(['t1']);
    expect(opened[0].incident.endpoints).toEqual(['web:GET /']);
  });

  it('keeps concurrent faults apart, also when one sits upstream of the other', () => {
    const tr = new IncidentTracker();
    const rank = rankSuspect();
    // gateway calls pay; both fire with evidence of their own: two faults, not one seen twice.
    const calls = new Map([['gateway', new Set(['pay'])]]);
    const minute = (k: number) =>
      tr.observe(
        at(k),
        [own(at(k), 'pay'), own(at(k), 'gateway'), own(at(k), 'index')],
        [
          ...flagged('web:GET /', 'pay', 5, `w${k}`),
          ...flagged('gw:in', 'gateway', 5, `g${k}`),
          ...flagged('search:q', 'index', 5, `s${k}`),
        ],
        rank,
        calls,
      );
    minute(0);
    const second = minute(1);
    expect(
      second
        .filter((e) => e.type === 'incident.opened')
        .map((e) => e.incident.rootCauses[0].service)
        .sort(),
    ).toEqual(['gateway', 'index', 'pay']);
    expect(tr.openIncidents()).toHaveLength(3);
  });

  it('takes many services slowing at once for one event, and keeps a fault that stands out apart', () => {
    const tr = new IncidentTracker();
    const rank = rankSuspect();
    const crowd = ['a', 'b', 'c', 'd', 'e'];
    const minute = (k: number) =>
      tr.observe(
        at(k),
        [...crowd.map((x) => own(at(k), x, 1.5)), own(at(k), 'pay', 6)],
        [
          ...crowd.flatMap((x) => flagged(`${x}:op`, x, 1, `${x}${k}`)),
          ...flagged('web:GET /', 'pay', 2, `p${k}`),
        ],
        rank,
      );
    minute(0);
    minute(1);
    const open = tr.openIncidents();
    expect(open).toHaveLength(2);
    expect(open.map((i) => i.rootCauses[0].service).sort()).toEqual(['a', 'pay']);
    const widespread = open.find((i) => i.rootCauses[0].service === 'a')!;
    expect(widespread.signals.map((x) => x.target.key).sort()).toEqual(crowd);
  });

  it('folds consequences upstream of a firing cause into its incident, and only while it fires', () => {
    const tr = new IncidentTracker();
    const rank = rankSuspect();
    const calls = new Map([['web', new Set(['pay'])]]);
    const pay = (k: number) => flagged('web:GET /', 'pay', 3, `p${k}`);
    tr.observe(at(0), [own(at(0), 'pay', 3)], pay(0), rank, calls);
    tr.observe(at(1), [own(at(1), 'pay', 3)], pay(1), rank, calls);
    // The endpoint above pay fires too, its traces blaming web: pay's fault seen one hop up.
    const echo = tr.observe(
      at(2),
      [own(at(2), 'pay', 3), signal(at(2), 'web:GET /', 2)],
      [...pay(2), ...flagged('web:GET /', 'web', 3, 'e')],
      rank,
      calls,
    );
    expect(echo.map((e) => e.type)).toEqual(['incident.updated']);
    expect(tr.openIncidents()).toHaveLength(1);
    expect(
      tr
        .openIncidents()[0]
        .signals.map((s) => s.target.key)
        .sort(),
    ).toEqual(['pay', 'web:GET /']);
    // pay has recovered: web slowing down now is news of its own, not an echo of pay.
    tr.observe(at(3), [signal(at(3), 'web:GET /', 2)], flagged('web:GET /', 'web', 3, 'f'), rank, calls);
    const fresh = tr.observe(
      at(4),
      [signal(at(4), 'web:GET /', 2)],
      flagged('web:GET /', 'web', 3, 'g'),
      rank,
      calls,
    );
    expect(
      fresh.filter((e) => e.type === 'incident.opened').map((e) => e.incident.rootCauses[0].service),
    ).toEqual(['web']);
  });

  it("keeps a windowed symptom that still counts its fault's minutes in that incident, as the fault ends", () => {
    const tr = new IncidentTracker();
    const rank = rankSuspect();
    const calls = new Map([['web', new Set(['pay', 'db'])]]);
    // web's errors judged over the last three minutes: what pay's failures make of web.
    const errors = (k: number, strength: number): Signal => ({
      ...signal(at(k), 'web:GET /', strength),
      kind: 'error-rate',
      windowMinutes: 3,
    });
    const pay = (k: number) => flagged('web:GET /', 'pay', 3, `p${k}`);
    for (const k of [0, 1, 2]) tr.observe(at(k), [own(at(k), 'pay', 3), errors(k, 4)], pay(k), rank, calls);
    expect(tr.openIncidents()).toHaveLength(1);
    // pay's fault is over; web's window still holds its minutes, and the two traces left blame db.
    const tail = tr.observe(at(3), [errors(3, 4)], flagged('web:GET /', 'db', 2, 't'), rank, calls);
    expect(tail.map((e) => e.type)).toEqual(['incident.updated']);
    expect(tr.openIncidents().map((i) => i.rootCauses[0].service)).toEqual(['pay']);
    // Three minutes after pay last fired the window holds none of its minutes: errors now are news.
    const fresh = tr.observe(at(5), [errors(5, 4)], flagged('web:GET /', 'db', 4, 'u'), rank, calls);
    expect(
      fresh.filter((e) => e.type === 'incident.opened').map((e) => e.incident.rootCauses[0].service),
    ).toEqual(['db']);
  });

  it("never moves an incident's start or end backwards", () => {
    const tr = new IncidentTracker();
    const rank = rankSuspect();
    let last = { start: '', end: '' };
    for (let k = 0; k <= 12; k++) {
      const firing = k < 4 || k === 6;
      for (const e of tr.observe(
        at(k),
        firing ? [own(at(k), 'pay', 2)] : [],
        firing ? flagged('web:GET /', 'pay', 2, `t${k}`) : [],
        rank,
      )) {
        if (last.start !== '') {
          expect(e.incident.start).toBe(last.start);
          expect(e.incident.end >= last.end).toBe(true);
        }
        last = { start: e.incident.start, end: e.incident.end };
      }
    }
    expect(last.end).toBe(new Date(at(7) / 1000).toISOString());
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

  it('acknowledges once, and a manual resolve neither reopens on minutes before it nor hides a return', () => {
    const rank = rankSuspect();
    const fire = (tr: IncidentTracker, k: number) =>
      tr.observe(at(k), [signal(at(k), 'web:GET /')], flagged('web:GET /', 'pay', 2, `m${k}-`), rank);
    const tr = new IncidentTracker();
    fire(tr, 0);
    const id = fire(tr, 1)[0].incident.id;
    const when = (k: number) => new Date(at(k) / 1000 + 20_000).toISOString();
    const ack = tr.acknowledge(id, { at: when(2), by: 'alice', note: 'on it' });
    expect(ack?.type).toBe('incident.acknowledged');
    expect(ack?.incident).toMatchObject({ acknowledgedBy: 'alice', acknowledgeNote: 'on it', revision: 1 });
    expect(tr.acknowledge(id, { at: when(2) })).toBeUndefined();
    expect(fire(tr, 2).map((e) => [e.type, e.incident.acknowledgedAt])).toEqual([
      ['incident.updated', when(2)],
    ]);
    // Resolved by hand at minute 6 while the job has judged minute 2: minutes 3..5 are what was resolved.
    const res = tr.resolve(id, { at: when(6), by: 'bob' });
    expect(res?.incident).toMatchObject({ status: 'resolved', resolvedBy: 'manual', resolvedByName: 'bob' });
    expect(tr.resolve(id, { at: when(6) })).toBeUndefined();
    for (const k of [3, 4, 5, 6]) expect(fire(tr, k)).toEqual([]);
    // The fault goes on after the resolve: a new incident, with a new id, opened by the usual rule.
    expect(fire(tr, 7)).toEqual([]);
    const again = fire(tr, 8);
    expect(again.map((e) => e.type)).toEqual(['incident.opened']);
    expect(again[0].incident.id).not.toBe(id);
    expect(again[0].incident.start).toBe(new Date(at(7) / 1000).toISOString());
    // The mute survives the tracker's state being saved and loaded.
    const tr2 = new IncidentTracker();
    fire(tr2, 0);
    tr2.resolve(fire(tr2, 1)[0].incident.id, { at: when(4) });
    const loaded = IncidentTracker.fromJSON(JSON.parse(JSON.stringify(tr2.toJSON())));
    expect([2, 3, 4].flatMap((k) => fire(loaded, k))).toEqual([]);
  });

  it('refuses minutes out of order, saying which', () => {
    const tr = new IncidentTracker();
    tr.observe(at(5), [], [], rankSuspect());
    expect(() => tr.observe(at(4), [], [], rankSuspect())).toThrow(/not after the last one observed/);
  });

  it('flush resolves what is still open', () => {
    const tr = new IncidentTracker();
    tr.observe(at(0), [signal(at(0), 'a:x', 9)], flagged('a:x', 'a', 1, 'a'), rankSuspect());
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
