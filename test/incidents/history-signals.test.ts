import { describe, expect, it } from 'vitest';
import { Aggregates, MinuteBucket } from '../../src/traffic/minute-buckets.js';
import { MINUTE_US } from '../../src/traffic/minute.js';
import { SignalSchema, type Signal } from '../../src/incidents/signal.js';
import { detectSignals } from '../../src/incidents/history-signals.js';
import { TargetStat } from '../../src/traffic/target-stat.js';
import { Prng } from '../../src/detectors/prng.js';
import { generate } from '../../src/sim/generate.js';
import { getScenario } from '../../src/sim/scenarios.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { normalizeTrace } from '../../src/trace/normalize.js';

const T0 = 1_709_640_000_000_000;
const EP = 'api:GET /x';
const EDGE = 'api:GET /x->db:query';

interface Minute {
  calls: number;
  errors?: number;
  anomalous?: number;
  /** Median latency, ms; each call's is log-normal around it (sigma 0.2). */
  ms?: number;
  /** Share of calls at `slowMs` instead. */
  slowShare?: number;
  slowMs?: number;
  callers?: number;
}

/** Buckets with one endpoint and one edge whose minutes follow `spec` (same figures for both). */
function series(spec: Minute[], seed = 1): MinuteBucket[] {
  const rng = new Prng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return spec.map((m, i) => {
    const b = new MinuteBucket(T0 + i * MINUTE_US);
    for (const [map, key] of [
      [b.endpoints, EP],
      [b.edges, EDGE],
    ] as const) {
      if (m.calls === 0) continue;
      const s = new TargetStat();
      s.calls = m.calls;
      s.traces = m.calls;
      s.errors = m.errors ?? 0;
      s.anomalous = m.anomalous ?? 0;
      s.callers = m.callers ?? m.calls;
      for (let c = 0; c < m.calls; c++) {
        const slow = c < Math.round((m.slowShare ?? 0) * m.calls);
        s.latency.add((slow ? m.slowMs! : (m.ms ?? 10)) * 1000 * Math.exp(0.2 * gauss()));
      }
      map.set(key, s);
    }
    return b;
  });
}

const repeat = (n: number, m: Minute | ((i: number) => Minute)): Minute[] =>
  Array.from({ length: n }, (_, i) => (typeof m === 'function' ? m(i) : m));
const kinds = (sig: Signal[], minute: number) =>
  [...new Set(sig.filter((s) => s.minute === T0 + minute * MINUTE_US).map((s) => s.kind))].sort();

describe('aggregate signals against a target own history', () => {
  it('stay quiet on steady traffic with its usual errors and anomalies', () => {
    const rng = new Prng(3);
    const spec = repeat(90, () => ({
      calls: 80 + Math.floor(rng.next() * 40),
      errors: rng.next() < 0.3 ? 1 : 0,
      anomalous: Math.floor(rng.next() * 3),
    }));
    expect(detectSignals(series(spec))).toEqual([]);
  });

  it('fire on an error-rate and an anomaly-rate spike, with value, baseline and evidence', () => {
    const spec = [
      ...repeat(20, { calls: 100, errors: 1, anomalous: 1 }),
      { calls: 100, errors: 30, anomalous: 40 },
    ];
    const sig = detectSignals(series(spec)).map((s) => SignalSchema.parse(s));
    const err = sig.find((s) => s.kind === 'error-rate' && s.target.type === 'endpoint')!;
    expect(err).toMatchObject({ minute: T0 + 20 * MINUTE_US, value: 0.3, target: { key: EP } });
    expect(err.baseline).toBeCloseTo(0.01, 2);
    expect(err.strength).toBeGreaterThan(1);
    expect(err.evidence).toMatch(/30 of 100 calls failed \(30%\), against 1\.0%/);
    expect(kinds(sig, 20)).toEqual(['anomaly-rate', 'error-rate']);
  });

  it('need enough calls and events: a quiet endpoint does not fire on 1 of 2', () => {
    const quiet = repeat(20, (i) => ({ calls: i % 3 === 0 ? 2 : 1 }));
    expect(detectSignals(series([...quiet, { calls: 2, errors: 1, anomalous: 1 }, { calls: 2 }]))).toEqual(
      [],
    );
  });

  it('judge a quiet target on its last minutes together, and say so', () => {
    const quiet = repeat(30, { calls: 4, ms: 10 });
    const slow = repeat(3, { calls: 4, ms: 60 });
    const sig = detectSignals(series([...quiet, ...slow]));
    // 4 calls a minute never make a signal alone; 3 minutes together do once 5 of them are slow.
    expect(sig.every((s) => s.windowMinutes === 3 && s.kind === 'latency-shift')).toBe(true);
    expect([...new Set(sig.map((s) => (s.minute - T0) / MINUTE_US))]).toEqual([31, 32]);
    expect(sig.at(-1)!.evidence).toMatch(/over the last 3 minutes: 100% of 12 calls slower/);
    expect(detectSignals(series([...quiet, ...slow]), { quietPoolMinutes: 1 })).toEqual([]);
  });

  it('learn recurring bursts: a periodic spike like the ones before it does not fire, a bigger one does', () => {
    const burst = (i: number) => ({ calls: 50, errors: i % 6 === 5 ? 9 : 0 });
    const spec = [...repeat(36, burst), { calls: 50, errors: 9 }, { calls: 50, errors: 40 }];
    const fired = detectSignals(series(spec))
      .filter((s) => s.kind === 'error-rate')
      .map((s) => (s.minute - T0) / MINUTE_US);
    // The first bursts are news; once they have recurred they are part of the baseline.
    expect(fired.filter((m) => m > 12)).toEqual([37, 37]);
    expect(fired).toContain(5);
  });

  it('fire latency-shift when many calls are slower than the usual p95, not on the usual spread', () => {
    const spec = [
      ...repeat(30, { calls: 60, ms: 10 }),
      { calls: 60, ms: 10 },
      { calls: 60, ms: 10, slowShare: 0.4, slowMs: 50 },
    ];
    const sig = detectSignals(series(spec));
    expect(kinds(sig, 30)).toEqual([]);
    const shift = sig.find((s) => s.kind === 'latency-shift' && s.target.type === 'edge')!;
    expect(shift.minute).toBe(T0 + 31 * MINUTE_US);
    expect(shift.baseline).toBeGreaterThan(10);
    expect(shift.baseline).toBeLessThan(20);
    expect(shift.value).toBeGreaterThan(40);
  });

  it('tell exponential latency growth from a step', () => {
    const grow = [
      ...repeat(20, { calls: 40, ms: 10 }),
      ...repeat(8, (i) => ({ calls: 40, ms: 10 * 1.35 ** (i + 1) })),
    ];
    const g = detectSignals(series(grow)).filter((s) => s.kind === 'latency-growth');
    expect(g.length).toBeGreaterThan(0);
    expect(g[0].evidence).toMatch(/growing exponentially/);
    expect(Math.max(...g.map((s) => s.minute))).toBe(T0 + 27 * MINUTE_US);
    const step = [...repeat(20, { calls: 40, ms: 10 }), ...repeat(8, { calls: 40, ms: 60 })];
    const s = detectSignals(series(step));
    expect(s.filter((x) => x.kind === 'latency-growth')).toEqual([]);
    expect(kinds(s, 20)).toContain('latency-shift');
  });

  it('fire traffic-jump on an endpoint volume jump, an edge fan-out jump and an edge out of nowhere', () => {
    const volume = detectSignals(series([...repeat(20, { calls: 100 }), { calls: 320 }]));
    const ep = volume.filter((s) => s.kind === 'traffic-jump');
    // The edge follows its endpoint: calls per caller did not change, so only the endpoint fires.
    expect(ep.map((s) => s.target)).toEqual([{ type: 'endpoint', key: EP }]);
    expect(ep[0]).toMatchObject({ value: 320, baseline: 100 });

    const fan = detectSignals(
      series([...repeat(20, { calls: 100, callers: 100 }), { calls: 300, callers: 100 }]),
    );
    expect(fan.filter((s) => s.kind === 'traffic-jump' && s.target.type === 'edge')[0].evidence).toMatch(
      /3\.00 calls per caller request against 1\.00/,
    );

    const fresh = detectSignals(series([...repeat(20, { calls: 0 }), { calls: 60 }]));
    expect(
      fresh
        .filter((s) => s.kind === 'traffic-jump')
        .map((s) => s.target.type)
        .sort(),
    ).toEqual(['edge', 'endpoint']);
    expect(detectSignals(series([...repeat(20, { calls: 100 }), { calls: 130 }]))).toEqual([]);
  });

  it('judge only the minute asked for, once it has history', () => {
    const spec = [
      ...repeat(20, { calls: 100, errors: 1 }),
      { calls: 100, errors: 30 },
      { calls: 100, errors: 30 },
    ];
    const b = series(spec);
    expect(detectSignals(b, {}, T0 + 20 * MINUTE_US).every((s) => s.minute === T0 + 20 * MINUTE_US)).toBe(
      true,
    );
    expect(detectSignals(b, {}, T0 + 20 * MINUTE_US).length).toBeGreaterThan(0);
    expect(detectSignals(b.slice(0, 2).concat(b[20]))).toEqual([]);
  });
});

/** A simulated fault moved to [startS, endS) of a run of durationS, anomalous verdicts from the ground truth. */
function simulated(
  name: string,
  startS: number,
  endS: number,
  durationS: number,
): { signals: Signal[]; start: number } {
  const s = getScenario(name);
  const sc: Scenario = {
    ...s,
    workload: { ...s.workload, rate: 10 },
    faults: s.faults.map((f) => ({ ...f, startS, endS })),
    durationS,
  };
  const g = generate(sc, { seed: 21 });
  const agg = new Aggregates();
  g.traces.forEach((spans, i) =>
    agg.add(normalizeTrace(spans[0].traceId, spans), {
      anomalous: g.truth.traces[i].anomalous,
      rootCauses: [],
    }),
  );
  return { signals: detectSignals(agg.buckets()), start: g.truth.start };
}

describe('aggregate signals on simulated faults', () => {
  it('name the repeated call of an N+1 fault, and nothing before the fault', () => {
    const { signals, start } = simulated('shop-n-plus-one', 360, 600, 540);
    expect(signals.filter((s) => s.minute < start + 6 * MINUTE_US)).toEqual([]);
    const jump = signals.find((s) => s.kind === 'traffic-jump' && s.target.type === 'edge')!;
    expect(jump.target.key).toBe(
      'productcatalogservice:hipstershop.ProductCatalogService/ListProducts->catalog-db:SELECT products',
    );
    expect(jump.minute).toBe(start + 6 * MINUTE_US);
  });

  it('see the leak as exponential latency growth of the leaking service', () => {
    const { signals, start } = simulated('shop-leak', 240, 840, 840);
    expect(signals.filter((s) => s.minute < start + 4 * MINUTE_US)).toEqual([]);
    const growth = signals.filter((s) => s.kind === 'latency-growth');
    expect(growth.length).toBeGreaterThan(0);
    expect(growth.some((s) => s.target.key.includes('->recommendationservice:'))).toBe(true);
  });
});
