import { describe, expect, it } from 'vitest';
import type { Span } from '../../src/trace/span.js';
import { median } from '../../src/detectors/median.js';
import { quantile, rootOf, run, selfTimes, shortened, split } from './helpers.js';

const PC = 'hipstershop.ProductCatalogService';
const isOp =
  (service: string, op: string, kind = 'server') =>
  (s: Span) =>
    s.service === service && s.operation === op && s.kind === kind;

describe('fault signatures', () => {
  it('latency: the target operation gains self time inside the window only', () => {
    const g = run(shortened('shop-latency'));
    const { inside, outside } = split(g, 30, 90);
    const pred = isOp('productcatalogservice', `${PC}/GetProduct`);
    const inSelf = median(inside.flatMap((t) => selfTimes(t, pred)));
    const outSelf = median(outside.flatMap((t) => selfTimes(t, pred)));
    expect(inSelf - outSelf).toBeGreaterThan(30_000);
    expect(outSelf).toBeLessThan(5_000);
    // Other services' self time does not move.
    const other = isOp('currencyservice', 'hipstershop.CurrencyService/Convert');
    const a = median(inside.flatMap((t) => selfTimes(t, other)));
    const b = median(outside.flatMap((t) => selfTimes(t, other)));
    expect(Math.abs(a - b) / b).toBeLessThan(0.25);
    const anomalous = g.truth.traces.filter((t) => t.anomalous);
    expect(anomalous.length).toBeGreaterThan(100);
    for (const t of anomalous) expect(t.rootCause?.service).toBe('productcatalogservice');
  });

  it('cpu: only the saturated instance slows down', () => {
    const g = run(shortened('shop-cpu'));
    const { inside } = split(g, 30, 90);
    const spans = inside.flat().filter((s) => s.service === 'currencyservice' && s.kind === 'server');
    const instances = [...new Set(spans.map((s) => s.instance!))].sort();
    expect(instances.length).toBe(3);
    const med = (inst: string) => median(spans.filter((s) => s.instance === inst).map((s) => s.duration));
    const target = g.truth.faults[0].rootCause.instance!;
    expect(instances).toContain(target);
    for (const other of instances.filter((i) => i !== target))
      expect(med(target)).toBeGreaterThan(1.7 * med(other));
  });

  it('errors: error spans at the target, callers marked, none outside the window', () => {
    const g = run(shortened('shop-errors'));
    const { inside, outside } = split(g, 30, 90);
    const target = isOp('cartservice', 'hipstershop.CartService/GetCart');
    expect(outside.flat().filter((s) => target(s) && s.error)).toHaveLength(0);
    const failing = inside.filter((t) => t.some((s) => target(s) && s.error));
    expect(failing.length).toBeGreaterThan(50);
    for (const t of failing) {
      const byId = new Map(t.map((s) => [s.spanId, s]));
      const bad = t.find((s) => target(s) && s.error)!;
      const client = byId.get(bad.parentId!)!;
      expect(client.kind).toBe('client');
      expect(client.error).toBe(true);
      expect(rootOf(t)!.error).toBe(true);
    }
    const truthIds = new Set(g.truth.traces.filter((t) => t.anomalous).map((t) => t.traceId));
    for (const t of failing) expect(truthIds.has(t[0].traceId)).toBe(true);
  });

  it('network: the client-server gap grows on the delayed edge only', () => {
    const g = run(shortened('shop-network'));
    const { inside, outside } = split(g, 30, 90);
    const gaps = (traces: Span[][], callee: string) =>
      traces.flatMap((t) => {
        const byId = new Map(t.map((s) => [s.spanId, s]));
        return t
          .filter((s) => s.kind === 'server' && s.service === callee && s.parentId)
          .map((s) => {
            const c = byId.get(s.parentId!)!;
            return c.service === 'frontend' ? c.duration - s.duration : NaN;
          })
          .filter((x) => !Number.isNaN(x));
      });
    expect(median(gaps(inside, 'cartservice'))).toBeGreaterThan(40_000);
    expect(median(gaps(outside, 'cartservice'))).toBeLessThan(2_000);
    expect(median(gaps(inside, 'currencyservice'))).toBeLessThan(2_000);
  });

  it('retry storm: repeated failing attempts to the target in the window', () => {
    const g = run(shortened('shop-retry-storm'));
    const { inside, outside } = split(g, 30, 90);
    const perTrace = (ts: Span[][]) =>
      ts.map(
        (t) =>
          t.filter((s) => s.kind === 'client' && s.operation.startsWith('hipstershop.CurrencyService'))
            .length,
      );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(perTrace(inside))).toBeGreaterThan(1.3 * mean(perTrace(outside)));
    // A retry: the same caller span calls the same operation again after a failed attempt.
    const retried = inside.some((t) => {
      const seen = new Map<string, number>();
      for (const s of t)
        if (s.kind === 'client' && s.error && s.operation.includes('Currency'))
          seen.set(`${s.parentId}|${s.operation}`, (seen.get(`${s.parentId}|${s.operation}`) ?? 0) + 1);
      return [...seen.values()].some((n) => n >= 2);
    });
    expect(retried).toBe(true);
    expect(outside.flat().filter((s) => s.service === 'currencyservice' && s.error)).toHaveLength(0);
  });

  it('n-plus-one: the query repeats per request inside the window', () => {
    const g = run(shortened('shop-n-plus-one'));
    const { inside, outside } = split(g, 30, 90);
    const counts = (ts: Span[][]) =>
      ts.flatMap((t) =>
        t
          .filter(isOp('productcatalogservice', `${PC}/ListProducts`))
          .map((p) => t.filter((s) => s.parentId === p.spanId && s.operation === 'SELECT products').length),
      );
    expect(Math.min(...counts(inside))).toBe(20);
    expect(Math.max(...counts(outside))).toBe(1);
  });

  it('cache failure: cache reads fail and every read adds a database call', () => {
    const g = run(shortened('shop-cache-failure'));
    const { inside, outside } = split(g, 30, 90);
    const stats = (ts: Span[][]) => {
      const spans = ts.flat();
      const reads = spans.filter((s) => s.kind === 'client' && s.operation === 'GET product');
      const db = spans.filter((s) => s.kind === 'client' && s.operation === 'SELECT product');
      return { reads: reads.length, failed: reads.filter((s) => s.error).length, db: db.length };
    };
    const a = stats(inside);
    const b = stats(outside);
    expect(a.failed).toBe(a.reads);
    expect(a.db).toBeGreaterThanOrEqual(a.reads);
    expect(b.failed).toBe(0);
    expect(b.db / b.reads).toBeLessThan(0.2);
    // The fallback handles the failure: the callers do not fail.
    expect(inside.flat().filter((s) => s.service === 'frontend' && s.error)).toHaveLength(0);
  });

  it('leak: the target latency grows across the window', () => {
    const g = run(shortened('shop-leak', 20, 100, 110));
    const quarters = [0, 1, 2, 3].map((q) => {
      const { inside } = split(g, 20 + q * 20, 40 + q * 20);
      return median(
        inside.flatMap((t) =>
          selfTimes(t, (s) => s.service === 'recommendationservice' && s.kind === 'server'),
        ),
      );
    });
    for (let i = 1; i < 4; i++) expect(quarters[i]).toBeGreaterThan(quarters[i - 1] * 1.3);
    expect(quarters[3]).toBeGreaterThan(5 * quarters[0]);
  });

  it('spike: the arrival rate of the endpoint rises by the intensity', () => {
    const g = run(shortened('shop-spike', 40, 80, 120));
    const rate = (from: number, to: number, ep: string) =>
      g.truth.traces.filter(
        (t) =>
          t.endpoint === ep && t.start >= g.truth.start + from * 1e6 && t.start < g.truth.start + to * 1e6,
      ).length /
      (to - from);
    const ratio = rate(40, 80, 'frontend/GET /') / rate(0, 40, 'frontend/GET /');
    expect(ratio).toBeGreaterThan(2.4);
    expect(ratio).toBeLessThan(3.6);
    const other = rate(40, 80, 'frontend/GET /product/{id}') / rate(0, 40, 'frontend/GET /product/{id}');
    expect(other).toBeGreaterThan(0.75);
    expect(other).toBeLessThan(1.3);
  });

  it('lost instrumentation: spans go missing and their children become orphans', () => {
    const g = run(shortened('shop-lost-spans'));
    const { inside, outside } = split(g, 30, 90);
    const orphans = (t: Span[]) => {
      const ids = new Set(t.map((s) => s.spanId));
      return t.filter((s) => s.parentId !== undefined && !ids.has(s.parentId)).length;
    };
    expect(outside.reduce((a, t) => a + orphans(t), 0)).toBe(0);
    expect(inside.reduce((a, t) => a + orphans(t), 0)).toBeGreaterThan(100);
    const share = (ts: Span[][]) => ts.flat().filter((s) => s.service === 'cartservice').length / ts.length;
    expect(share(inside)).toBeLessThan(0.5 * share(outside));
  });

  it('structure: the call set changes while the latency distribution does not', () => {
    const g = run(shortened('shop-structure', 60, 180, 240), 5);
    const { inside, outside } = split(g, 60, 180);
    const ep = (ts: Span[][]) => ts.filter((t) => rootOf(t)?.operation === 'GET /product/{id}');
    const callSet = (ts: Span[][]) =>
      new Set(
        ts
          .flat()
          .filter((s) => s.service === 'frontend' && s.kind === 'client')
          .map((s) => s.operation),
      );
    const a = callSet(ep(inside));
    const b = callSet(ep(outside));
    expect(a.has(`${PC}/SearchProducts`)).toBe(true);
    expect(a.has('hipstershop.RecommendationService/ListRecommendations')).toBe(false);
    expect(b.has(`${PC}/SearchProducts`)).toBe(false);
    expect(b.has('hipstershop.RecommendationService/ListRecommendations')).toBe(true);
    const durs = (ts: Span[][]) => ep(ts).map((t) => rootOf(t)!.duration);
    for (const q of [0.5, 0.9]) {
      const x = quantile(durs(inside), q);
      const y = quantile(durs(outside), q);
      expect(Math.abs(x - y) / y).toBeLessThan(0.12);
    }
    const errRate = (ts: Span[][]) => ep(ts).filter((t) => rootOf(t)!.error).length / ep(ts).length;
    expect(Math.abs(errRate(inside) - errRate(outside))).toBeLessThan(0.01);
  });
});
