import { describe, expect, it } from 'vitest';
import { trainBaseline } from '../../src/detectors/baseline/index.js';
import { compareTraces, type DiffRow } from '../../src/explain/compare.js';
import { typicalTrace } from '../../src/explain/typical-trace.js';
import { traceOfKeptSpans } from '../../src/trace/kept-spans.js';
import { viewSpans } from '../../src/explain/span-context.js';
import { checkout } from '../helpers/checkout.js';

const byKind = (rows: DiffRow[], kind: DiffRow['kind']) => rows.filter((r) => r.kind === kind);

describe('compareTraces', () => {
  it('names the slower call with its normal range, the missing and new calls, and the failed one', () => {
    // Normal traffic with a little jitter in every call, so the model has a spread to learn.
    const train = Array.from({ length: 200 }, (_, i) => checkout(i, { chargeUs: 10_000 + (i % 10) * 500 }));
    const baseline = trainBaseline(train);
    const normal = checkout(1000);
    const bad = checkout(2000, { chargeUs: 100_000, cart: false, fraud: true, failed: true });
    const rows = compareTraces(bad, normal, { baseline });

    expect(rows.map((r) => r.kind)).toEqual(['error', 'slower', 'missing', 'new']);
    const [slower] = byKind(rows, 'slower');
    expect(slower).toMatchObject({
      path: 'frontend:GET /checkout>checkout:PlaceOrder>payment:Charge',
      service: 'payment',
      operation: 'Charge',
      this: 100,
      normal: 12,
      thisCalls: 1,
      normalCalls: 1,
    });
    // The model's range of one Charge's self time: 10-14.5 ms in training.
    expect(slower.normalP50).toBeGreaterThan(10);
    expect(slower.normalP50).toBeLessThan(14.5);
    expect(slower.normalP99).toBeGreaterThanOrEqual(slower.normalP50!);
    expect(slower.normalP99).toBeLessThan(16);

    // GetCart is missing, and redis:GET under it is folded into its row.
    const [missing] = byKind(rows, 'missing');
    expect(missing).toMatchObject({
      service: 'cart',
      operation: 'GetCart',
      this: 0,
      normal: 4,
      normalDuration: 6,
      normalCalls: 1,
      below: 1,
      // Every normal checkout reads the cart: its absence is a real change.
      normalShare: 1,
    });
    expect(byKind(rows, 'new')).toEqual([
      expect.objectContaining({
        service: 'fraud',
        operation: 'Check',
        this: 3,
        thisDuration: 4,
        normal: 0,
        below: 1,
      }),
    ]);
    expect(byKind(rows, 'error')).toEqual([
      expect.objectContaining({ service: 'inventory', thisErrors: 1, normalErrors: 0 }),
    ]);
    // The callers' self time did not change (only what they waited on did): no rows for them.
    expect(rows.some((r) => r.service === 'checkout' || r.service === 'frontend')).toBe(false);
  });

  it('leaves jitter out and sorts slower rows by the time they added', () => {
    const normal = checkout(1);
    // 1 ms more on Charge is under a quarter of its 12 ms: jitter.
    expect(compareTraces(checkout(2, { chargeUs: 13_000 }), normal)).toEqual([]);
    // A faster Charge is shown as faster; no model, so no range.
    const [fast] = compareTraces(checkout(3, { chargeUs: 4_000 }), normal);
    expect(fast).toMatchObject({ kind: 'faster', this: 4, normal: 12 });
    expect(fast.normalP50).toBeUndefined();

    // Charge +30 ms and the root +50 ms of its own work: the root first.
    const rows = compareTraces(checkout(4, { chargeUs: 42_000, extraUs: 50_000 }), normal);
    expect(byKind(rows, 'slower').map((r) => [r.service, r.this - r.normal])).toEqual([
      ['checkout', 50],
      ['payment', 30],
    ]);
  });

  it("leaves out what the model's spread calls normal, and puts the calls normal traffic always makes first", () => {
    // Charge normally takes anything from 5 to 50 ms; a quarter of the traces skip the cart.
    const train = Array.from({ length: 200 }, (_, i) =>
      checkout(i, { chargeUs: 5_000 + (i % 10) * 5_000, cart: i % 4 !== 0, reserves: i % 2 ? 1 : 2 }),
    );
    const baseline = trainBaseline(train);
    const normal = checkout(1000, { chargeUs: 12_000, reserves: 2 });
    const jittery = checkout(2000, { chargeUs: 30_000, reserves: 2 });
    // 18 ms more is past a quarter of 12 ms, so without the model it is a finding; with it, jitter.
    expect(compareTraces(jittery, normal).map((r) => r.kind)).toEqual(['slower']);
    expect(compareTraces(jittery, normal, { baseline })).toEqual([]);

    // Missing: inventory (every trace reserves) before the cart (a quarter of traffic skips it), though both
    // took 6 ms in the normal trace; new: a fraud check never seen before.
    const rows = compareTraces(checkout(3000, { cart: false, fraud: true, reserves: 0 }), normal, {
      baseline,
    });
    expect(rows.map((r) => [r.kind, r.service, r.normalShare, r.normalDuration])).toEqual([
      ['missing', 'inventory', 1, 6],
      ['missing', 'cart', 0.75, 6],
      ['new', 'fraud', 0, 0],
    ]);
  });

  it('counts repeated calls on one path and compares their summed self time', () => {
    const rows = compareTraces(checkout(5, { reserves: 4 }), checkout(6));
    expect(rows).toEqual([
      expect.objectContaining({
        kind: 'slower',
        service: 'inventory',
        this: 12,
        normal: 3,
        thisCalls: 4,
        normalCalls: 1,
      }),
    ]);
  });

  it('reads the kept spans of an anomaly as it read the trace', () => {
    const bad = checkout(7, { chargeUs: 80_000 });
    const again = traceOfKeptSpans(bad.traceId, viewSpans(bad));
    expect(compareTraces(again, checkout(8))).toEqual(compareTraces(bad, checkout(8)));
  });
});

describe('typicalTrace', () => {
  it('picks the commonest structure, then the duration nearest the median, and no failing trace', () => {
    const traces = [
      // The commonest shape (one Reserve): durations spread around the median.
      ...[0, 5_000, 10_000, 25_000, 40_000, 80_000].map((extraUs, i) => checkout(i, { extraUs })),
      // A rarer shape with the duration nearest the median overall: not picked.
      checkout(10, { reserves: 2, extraUs: 12_000 }),
      checkout(11, { reserves: 2, extraUs: 13_000 }),
      // A failing trace of the commonest shape at the median: not picked either.
      checkout(12, { failed: true, extraUs: 15_000 }),
      checkout(13, { failed: true, extraUs: 15_000 }),
      checkout(14, { failed: true, extraUs: 15_000 }),
    ];
    const t = typicalTrace(traces)!;
    expect(t.candidates).toBe(8);
    expect(t.sameShape).toBe(6);
    // Extra time of the 8 clean traces (the rarer shape's second Reserve adds 3 ms): 0 5 10 15 16 25 40 80,
    // median 15.5; of the commonest shape the nearest is 10 (5.5 away; 25 is 9.5 away).
    expect(t.trace.traceId).toBe(checkout(2).traceId);
    expect(typicalTrace(traces.slice().reverse())!.trace.traceId).toBe(t.trace.traceId);
  });

  it('settles for failing traces when there are no others, and says when there is nothing', () => {
    expect(typicalTrace([])).toBeUndefined();
    const t = typicalTrace([checkout(1, { failed: true }), checkout(2, { failed: true })])!;
    // Equal durations: the smaller trace id.
    expect(t.trace.traceId).toBe(checkout(1).traceId);
    expect(t.candidates).toBe(2);
  });
});
