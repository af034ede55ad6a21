import { describe, expect, it } from 'vitest';
import { compileTopology } from '../../src/sim/compile.js';
import { sampleLatency, waitOf } from '../../src/sim/latency-draws.js';
import { AFFECTED_QUANTILE, NormalRanges } from '../../src/sim/normal-range.js';
import { Rng } from '../../src/sim/seeded-random.js';
import { Simulator } from '../../src/sim/simulator.js';
import { shopTopology } from '../../src/sim/systems/shop.js';
import { run, selfTimes, shortened } from './helpers.js';

describe('normal range of self time', () => {
  it('is the 99.9th percentile of the fault-free self time', () => {
    const topo = compileTopology(shopTopology());
    const op = topo.opByKey.get('currencyservice/hipstershop.CurrencyService/Convert')!;
    const limit = new NormalRanges().selfLimit(op, 0.45);
    // Independent draws of the same model: about 0.1% land above the limit.
    const rng = new Rng(99);
    const n = 200_000;
    let above = 0;
    for (let i = 0; i < n; i++)
      if (sampleLatency(rng, op.latency) + waitOf(0.45, op.latency.meanUs, rng.next(), rng.next()) > limit)
        above++;
    expect(AFFECTED_QUANTILE).toBe(0.999);
    expect(above / n).toBeGreaterThan(0.0006);
    expect(above / n).toBeLessThan(0.0016);
    // More queueing, a wider range.
    expect(new NormalRanges().selfLimit(op, 0.8)).toBeGreaterThan(1.5 * limit);
  });

  it('labels a CPU-starved trace anomalous only when a span of the instance ends beyond it', () => {
    const sc = shortened('shop-cpu');
    const g = run(sc);
    const sim = new Simulator(sc, { seed: 11 });
    const target = g.truth.faults[0].rootCause.instance!;
    const ranges = new NormalRanges();
    const svc = sim.compiled.serviceByName.get('currencyservice')!;
    const beyond = (i: number) => {
      const t = g.truth.traces[i];
      const rho = sim.workload.utilization(t.start, sim.workload.multipliers([]), true)[svc.index];
      return g.traces[i].some((s) => {
        if (s.instance !== target || s.kind !== 'server') return false;
        const op = sim.compiled.opByKey.get(`${s.service}/${s.operation}`)!;
        return selfTimes(g.traces[i], (x) => x === s)[0] > ranges.selfLimit(op, rho);
      });
    };
    let anomalous = 0;
    let within = 0;
    g.truth.traces.forEach((t, i) => {
      if (t.anomalous) {
        anomalous++;
        expect(beyond(i)).toBe(true);
      } else if (t.withinNormal) {
        within++;
        expect(t.withinNormal).toEqual([g.truth.faults[0].id]);
        expect(beyond(i)).toBe(false);
      }
    });
    // The instance slows every span it serves, most of them within their normal range.
    expect(anomalous).toBeGreaterThan(50);
    expect(within).toBeGreaterThan(anomalous / 2);
  });

  it('leaves the first minutes of a leak normal', () => {
    const g = run(shortened('shop-leak', 20, 100, 110));
    const at = (t: { start: number }) => (t.start - g.truth.start) / 1e6;
    const early = g.truth.traces.filter((t) => at(t) >= 20 && at(t) < 35);
    const late = g.truth.traces.filter((t) => at(t) >= 85 && at(t) < 100);
    const share = (ts: typeof early) => ts.filter((t) => t.anomalous).length / ts.length;
    expect(early.some((t) => t.withinNormal)).toBe(true);
    expect(share(early)).toBeLessThan(0.05);
    expect(share(late)).toBeGreaterThan(4 * share(early));
  });
});
