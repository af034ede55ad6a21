import { describe, expect, it } from 'vitest';
import { adviseService } from '../../src/sampling/advise.js';
import { JaegerStrategySchema } from '../../src/sampling/jaeger.js';
import { samplingOptions } from '../../src/sampling/options.js';
import { current, smooth } from '../../src/sampling/smoothing.js';
import { minutesBefore, type EndpointMinute } from './helpers.js';

const o = samplingOptions({ budgetTps: 10 });
const NOW = Date.parse('2026-03-01T12:00:30Z');
const NOW_US = NOW * 1000;
const rateOf = (s: ReturnType<typeof adviseService>, op: string) =>
  s.strategy.operationSampling.perOperationStrategies.find((x) => x.operation === op)?.probabilisticSampling
    .samplingRate;

/** Tracers that kept everything, from long before the window on. */
const servedAll = smooth(
  undefined,
  { defaultProbability: 1, operations: new Map(), immediate: new Set() },
  NOW - 3 * 3600_000,
  3600_000,
  o,
);

/** 70 minutes of the shop's frontend: a busy healthy page, a quieter one, a rare report. */
function shop(
  over: (minuteUs: number) => Record<string, { traces: number; anomalous?: number }> = () => ({}),
) {
  return minutesBefore(NOW_US, 70, (m) => ({
    'frontend:GET /': { traces: 6000, anomalous: 60 },
    'frontend:GET /cart': { traces: 600, anomalous: 6 },
    'frontend:GET /report': { traces: 6 },
    'cartservice:GetCart': { traces: 600 },
    ...over(m),
  }));
}

describe('adviseService', () => {
  it('turns what was seen into a strategy within the budget, the busy page lowest', () => {
    const a = adviseService(
      { service: 'frontend', buckets: shop(), incidentEndpoints: new Set(), state: servedAll, nowMs: NOW },
      o,
    );
    JaegerStrategySchema.parse(a.strategy);
    expect(a.operations.map((x) => [x.operation, x.rate])).toEqual([
      ['GET /', 100],
      ['GET /cart', 10],
      ['GET /report', 0.1],
    ]);
    expect(rateOf(a, 'GET /report')).toBe(1);
    expect(rateOf(a, 'GET /')).toBeCloseTo(4.95 / 100, 6);
    expect(rateOf(a, 'GET /cart')).toBeCloseTo(4.95 / 10, 6);
    expect(a.expectedTps).toBeCloseTo(10, 6);
    // Another service's endpoints are not frontend's operations.
    expect(rateOf(a, 'GetCart')).toBeUndefined();
  });

  it('counts a trace seen while its operation was served 10% as ten', () => {
    const first = adviseService(
      { service: 'frontend', buckets: shop(), incidentEndpoints: new Set(), state: servedAll, nowMs: NOW },
      o,
    );
    // The same tracers, now sampled by what was served: a tenth of GET / and half of GET /cart reach us.
    const state = smooth(
      undefined,
      {
        defaultProbability: 0.1,
        operations: new Map([
          ['GET /', 0.1],
          ['GET /cart', 0.5],
          ['GET /report', 1],
        ]),
        immediate: new Set(),
      },
      NOW - 3 * 3600_000,
      3600_000,
      o,
    );
    const sampled = minutesBefore(NOW_US, 70, () => ({
      'frontend:GET /': { traces: 600 },
      'frontend:GET /cart': { traces: 300 },
      'frontend:GET /report': { traces: 6 },
    }));
    const again = adviseService(
      { service: 'frontend', buckets: sampled, incidentEndpoints: new Set(), state, nowMs: NOW },
      o,
    );
    expect(again.operations.map((x) => x.rate)).toEqual(first.operations.map((x) => x.rate));
  });

  it('raises an operation whose anomaly rate is above its normal, and one in an open incident at once', () => {
    const inputs = {
      service: 'frontend',
      // GET /cart: 1% anomalous for an hour, then 20% in the last 10 minutes.
      buckets: shop((m): Record<string, EndpointMinute> =>
        m >= NOW_US - 10 * 60e6 ? { 'frontend:GET /cart': { traces: 600, anomalous: 120 } } : {},
      ),
      incidentEndpoints: new Set<string>(),
      state: servedAll,
      nowMs: NOW,
    };
    const plain = adviseService({ ...inputs, buckets: shop() }, o);
    const anomalous = adviseService(inputs, o);
    const cart = anomalous.operations.find((x) => x.operation === 'GET /cart')!;
    expect(cart.lift).toBeGreaterThan(10);
    expect(cart.urgency).toBeCloseTo(cart.anomalyRate, 12);
    // GET /cart takes all the budget the floors leave (10/s of its 10/s); GET / is down to its floor.
    expect(rateOf(anomalous, 'GET /cart')!).toBeGreaterThan(0.99);
    expect(rateOf(anomalous, 'GET /')).toBeCloseTo(1 / 6000, 6);
    expect(anomalous.operations.find((x) => x.operation === 'GET /')!.lift).toBeCloseTo(1, 1);

    // An incident on the busy page: all of it the budget allows, at the first request after it opened.
    const incident = adviseService(
      { ...inputs, buckets: shop(), incidentEndpoints: new Set(['frontend:GET /']), state: plain.state },
      o,
    );
    // The others keep their floors (1/60 traces a second each); GET / gets the rest of the budget.
    expect(rateOf(incident, 'GET /')).toBeCloseTo((10 - 2 / 60) / 100, 9);
    expect(rateOf(incident, 'GET /')!).toBeGreaterThan(1.9 * rateOf(plain, 'GET /')!);
  });

  it('takes traces seen before anything was served as sampled at the cold start', () => {
    const a = adviseService(
      { service: 'frontend', buckets: shop(), incidentEndpoints: new Set(), state: undefined, nowMs: NOW },
      o,
    );
    expect(a.operations.map((x) => x.rate)).toEqual([100 / 0.01, 10 / 0.01, 0.1 / 0.01]);
  });

  it('tells a service it never saw the cold-start probability, and remembers it was served', () => {
    const a = adviseService(
      { service: 'newsvc', buckets: shop(), incidentEndpoints: new Set(), state: undefined, nowMs: NOW },
      o,
    );
    expect(a.strategy.probabilisticSampling.samplingRate).toBe(o.coldStartProbability);
    expect(a.strategy.operationSampling.perOperationStrategies).toEqual([]);
    expect(current(a.state).defaultProbability).toBe(o.coldStartProbability);
    // Its incident's operation is kept whole even before any rate is known.
    const b = adviseService(
      {
        service: 'newsvc',
        buckets: [],
        incidentEndpoints: new Set(['newsvc:Do']),
        state: a.state,
        nowMs: NOW + 10_000,
      },
      o,
    );
    expect(rateOf(b, 'Do')).toBe(1);
    expect(b.strategy.operationSampling.defaultSamplingProbability).toBe(o.coldStartProbability);
  });
});
