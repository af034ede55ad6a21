import { beforeAll, describe, expect, it } from 'vitest';
import { trainBaseline, type BaselineModel } from '../../src/detectors/baseline/index.js';
import { extractProfile } from '../../src/features/profile.js';
import { bubbleUp, rankServices } from '../../src/incidents/window-causes.js';
import { entryLoadFirst, toRootCauses } from '../../src/incidents/incident-causes.js';
import { ShiftEvidence } from '../../src/incidents/shift-evidence.js';
import type { ScoredTrace } from '../../src/scoring/scored-trace.js';
import type { Trace } from '../../src/trace/trace.js';
import { normalTraffic, Traffic, type Faults } from '../helpers/traffic.js';

/** A verdict the way the model would give it, without the model: flagged or not, no per-trace causes. */
function verdict(t: Trace, anomalous = false): ScoredTrace {
  return {
    traceId: t.traceId,
    service: 'frontend',
    operation: 'x',
    startTime: new Date(0).toISOString(),
    durationMs: 1,
    spanCount: t.spans.length,
    score: anomalous ? 0.99 : 0.5,
    anomalous,
    detectors: {},
    rootCauses: [],
  };
}

let model: BaselineModel;
beforeAll(() => {
  model = trainBaseline(normalTraffic(1, 900).traces);
});

function evidence(seed: number, n: number, faults: Faults, flag = false): ShiftEvidence {
  const traffic = new Traffic(seed);
  const ev = new ShiftEvidence();
  for (let i = 0; i < n; i++) {
    const t = i % 3 === 2 ? traffic.home() : traffic.checkout(faults);
    ev.add(t, extractProfile(t), verdict(t, flag), model);
  }
  return ev;
}

describe('rankServices', () => {
  it('finds a leaf slowed too little to flag single traces, by its operation', () => {
    const ranked = rankServices(evidence(7, 150, { slowLeaf: 1.6 }));
    expect(ranked[0].service).toBe('payment');
    expect(ranked[0].operation).toBe('db.query');
    expect(ranked[0].evidence).toMatch(/payment:db\.query self time \+\d/);
  });

  it('blames a slow hop on the server when only calls into it are slow', () => {
    const ranked = rankServices(evidence(8, 150, { cartGapUs: 20_000 }));
    expect(ranked[0].service).toBe('cart');
    expect(ranked[0].evidence).toMatch(/frontend -> cart/);
  });

  it('blames a caller that stopped making a usual call', () => {
    const ranked = rankServices(evidence(9, 150, { missingLeaf: true }));
    expect(ranked.slice(0, 2).map((r) => r.service)).toContain('payment');
  });

  it('measures shifts against the reference: a drift every minute shares is not the incident', () => {
    // The reference minutes share the window's much slower leaf (a drift since training); the root's own
    // smaller slowdown is what is new.
    const reference = [1, 2, 3, 4].map((s) => evidence(20 + s, 60, { slowLeaf: 4 }));
    const window = evidence(30, 150, { slowLeaf: 4, slowRoot: 3 });
    expect(rankServices(window)[0].service).toBe('payment');
    expect(rankServices(window, reference)[0].service).toBe('frontend');
  });

  it('weighs a callee shift barely above noise by its size, not as the whole latency evidence', () => {
    // A quarter of the traces are flagged and their per-trace causes name frontend; its callee payment's
    // self time drifts a little (+0.6 sd) or clearly (+1.5 sd).
    const window = (slowLeaf: number) => {
      const traffic = new Traffic(5);
      const ev = new ShiftEvidence();
      for (let i = 0; i < 40; i++) {
        const t = traffic.checkout({ slowLeaf });
        const v = verdict(t, i % 4 === 0);
        if (v.anomalous)
          v.rootCauses = [{ service: 'frontend', kind: 'latency', contribution: 1, evidence: 'slow' }];
        ev.add(t, extractProfile(t), v, model);
      }
      return rankServices(ev);
    };
    expect(window(1.15)[0].service).toBe('frontend');
    expect(window(1.4)[0].service).toBe('payment');
  });

  it('gives shares that sum to at most 1, most likely first', () => {
    const causes = toRootCauses(rankServices(evidence(7, 150, { slowLeaf: 2 })));
    const scores = causes.map((c) => c.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-9);
  });
});

describe('bubbleUp', () => {
  it('names a failing service by the operation that fails, not by a bystander slower by chance', () => {
    const traffic = new Traffic(11);
    const ev = new ShiftEvidence();
    for (let i = 0; i < 150; i++) {
      const bad = i % 3 === 0;
      const t = traffic.checkout({ deepError: bad });
      const v = verdict(t, bad);
      if (bad)
        v.rootCauses = [
          { service: 'payment', operation: 'db.query', kind: 'error', contribution: 1, evidence: 'failed' },
        ];
      ev.add(t, extractProfile(t), v, model);
    }
    const [top] = rankServices(ev);
    expect(top.service).toBe('payment');
    expect(top.operation).toBe('db.query');
    expect(top.evidence).toMatch(/payment:db\.query failed 50 times in \d+ calls with no failing call below/);
  });

  it('names the attribute value over-represented in flagged traces', () => {
    const traffic = new Traffic(3);
    const ev = new ShiftEvidence();
    for (let i = 0; i < 200; i++) {
      const t = traffic.checkout();
      const bad = i % 4 === 0;
      for (const sp of t.spans)
        if (sp.service === 'payment') sp.resource = { 'service.version': bad ? '2.0' : '1.9' };
      ev.add(t, extractProfile(t), verdict(t, bad), model);
    }
    expect(bubbleUp(ev, 'payment')).toMatchObject({ attribute: 'service.version=2.0', flagged: 1, other: 0 });
    expect(bubbleUp(ev, 'cart')).toBeUndefined();
  });
});

describe('ShiftEvidence', () => {
  it('merges minutes into the same window one pass would give, and survives JSON', () => {
    const a = evidence(11, 40, { slowLeaf: 3 }, true);
    const b = evidence(12, 40, {});
    const merged = ShiftEvidence.fromJSON(JSON.parse(JSON.stringify(a.toJSON()))).merge(
      ShiftEvidence.fromJSON(JSON.parse(JSON.stringify(b.toJSON()))),
    );
    const direct = evidence(11, 40, { slowLeaf: 3 }, true).merge(evidence(12, 40, {}));
    expect(merged.toJSON()).toEqual(direct.toJSON());
    expect(merged.traces).toBe(80);
    expect(merged.anomalous).toBe(40);
  });
});

describe('entryLoadFirst', () => {
  const jump = (key: string, value: number, baseline: number, type: 'endpoint' | 'edge' = 'endpoint') => ({
    kind: 'traffic-jump' as const,
    target: { type, key },
    minute: 0,
    strength: 2,
    value,
    baseline,
    evidence: `${key}: ${value} calls this minute against a median of ${baseline}`,
  });
  const causes = [
    { service: 'currency', score: 0.6, evidence: 'slow' },
    { service: 'frontend', score: 0.4, evidence: 'x' },
  ];

  it('puts the endpoint whose traffic jumped first, once, with shares summing to 1', () => {
    const out = entryLoadFirst(causes, [jump('frontend:GET /', 90, 30)]);
    expect(out.map((c) => c.service)).toEqual(['frontend', 'currency']);
    expect(out[0]).toMatchObject({
      operation: 'GET /',
      evidence: expect.stringMatching(/^traffic jumped: frontend:GET \//),
    });
    expect(out.reduce((a, c) => a + c.score, 0)).toBeCloseTo(1, 9);
  });

  it('leaves the ranking alone for edge jumps and small rises', () => {
    expect(entryLoadFirst(causes, [jump('a:x->b:y', 90, 1, 'edge')])).toEqual(causes);
    expect(entryLoadFirst(causes, [jump('frontend:GET /', 50, 30)])).toEqual(causes);
  });
});
