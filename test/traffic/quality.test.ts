import { describe, expect, it } from 'vitest';
import { Aggregates, sumQuality } from '../../src/traffic/minute-buckets.js';
import { QualityReportSchema, qualityReport } from '../../src/traffic/quality.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { RawSpan } from '../../src/trace/span.js';
import { raw } from '../helpers/spans.js';
import { generate } from '../../src/sim/generate.js';
import { getScenario } from '../../src/sim/scenarios.js';

const T0 = 1_709_640_000_000_000;

function add(agg: Aggregates, id: string, spans: RawSpan[], clockSkew = true) {
  const traceId = id.padStart(32, '0');
  agg.add(
    normalizeTrace(
      traceId,
      spans.map((s) => ({ ...s, traceId })),
      { clockSkew },
    ),
  );
}

function report(agg: Aggregates) {
  return QualityReportSchema.parse(qualityReport(sumQuality(agg.buckets()), T0, T0 + 60e6));
}

describe('quality report', () => {
  it('counts orphans, missing parents, skew, inferred timing, missing roots and completeness per service', () => {
    const agg = new Aggregates();
    // Root a (10 ms) with child b covering half of it; b's clock runs 5 ms early (skew); c's spans name a
    // parent that was never collected, twice the same one.
    add(agg, 'q1', [
      raw({ spanId: '1', service: 'a', operation: 'x', kind: 'server', start: T0, duration: 10_000 }),
      raw({
        spanId: '2',
        parentId: '1',
        service: 'b',
        operation: 'y',
        kind: 'server',
        start: T0 - 5_000,
        duration: 5_000,
      }),
      raw({ spanId: '3', parentId: 'ee', service: 'c', operation: 'z', start: T0 + 1_000, duration: 100 }),
      raw({ spanId: '4', parentId: 'ee', service: 'c', operation: 'z', start: T0 + 2_000, duration: 100 }),
      raw({ spanId: '5', parentId: '1', service: 'b', operation: 'w', start: undefined, duration: 100 }),
    ]);
    // No true root: the earliest top-level span (d) stands in for it.
    add(agg, 'q2', [
      raw({ spanId: '1', parentId: 'aa', service: 'd', operation: 'x', start: T0 + 3_000, duration: 1_000 }),
      raw({ spanId: '2', parentId: '1', service: 'a', operation: 'x', start: T0 + 3_100, duration: 500 }),
    ]);
    const r = report(agg);
    const by = Object.fromEntries(r.services.map((s) => [s.service, s]));
    expect(by.a).toMatchObject({ traces: 2, spans: 2, rootTraces: 1, orphanSpans: 0, tracesMissingRoot: 0 });
    // b covers 5 ms after the skew shift, the inferred span 0.1 ms more.
    expect(by.a.completeness).toBeCloseTo(0.51, 3);
    expect(by.b).toMatchObject({ traces: 1, spans: 2, skewAdjustedSpans: 1, timingInferredSpans: 1 });
    expect(by.b.completeness).toBeUndefined();
    expect(by.c).toMatchObject({ spans: 2, orphanSpans: 2, missingParents: 1 });
    expect(by.d).toMatchObject({ rootTraces: 1, orphanSpans: 1, missingParents: 1, tracesMissingRoot: 1 });
    // Most problems per span first.
    expect(r.services[0].service).toBe('d');
  });

  it('leaves clean traces clean', () => {
    const agg = new Aggregates();
    add(agg, 'q3', [
      raw({ spanId: '1', service: 'a', operation: 'x', kind: 'server', start: T0, duration: 1_000 }),
      raw({
        spanId: '2',
        parentId: '1',
        service: 'b',
        operation: 'y',
        kind: 'server',
        start: T0,
        duration: 1_000,
      }),
    ]);
    for (const s of report(agg).services)
      expect([
        s.orphanSpans,
        s.missingParents,
        s.skewAdjustedSpans,
        s.timingInferredSpans,
        s.tracesMissingRoot,
      ]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('quality report on simulated lost instrumentation', () => {
  it('shows the orphans where a service stopped reporting its spans, and none without the fault', () => {
    const orphansBy = (name: string) => {
      const sc = getScenario(name);
      const g = generate(
        { ...sc, faults: sc.faults.map((f) => ({ ...f, startS: 0, endS: 60 })) },
        { seed: 2, durationS: 60 },
      );
      const agg = new Aggregates();
      for (const spans of g.traces) agg.add(normalizeTrace(spans[0].traceId, spans));
      return Object.fromEntries(
        qualityReport(sumQuality(agg.buckets()), 0, 0).services.map((s) => [s.service, s.orphanSpans]),
      );
    };
    const lost = orphansBy('shop-lost-spans');
    // cartservice's spans (and its client spans) go missing: redis-cart's server spans lose their parent.
    expect(lost['redis-cart']).toBeGreaterThan(10);
    expect(lost.cartservice).toBe(0);
    expect(Object.values(orphansBy('shop-normal')).every((n) => n === 0)).toBe(true);
  });
});
