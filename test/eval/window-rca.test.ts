import { describe, expect, it } from 'vitest';
import { anomalousSet, rankWindow, type WindowTrace } from '../../src/eval/window-rca.js';
import type { ScoredTrace } from '../../src/scoring/scored-trace.js';

function wt(score: number, anomalous: boolean, causes: [string, number][], services: string[]): WindowTrace {
  const scored: ScoredTrace = {
    traceId: '0'.repeat(32),
    service: 'frontend',
    operation: 'GET /',
    startTime: '2024-01-01T00:00:00.000Z',
    durationMs: 1,
    spanCount: services.length,
    score,
    anomalous,
    detectors: {},
    rootCauses: causes.map(([service, contribution]) => ({
      service,
      kind: 'latency',
      contribution,
      evidence: '',
    })),
  };
  return { scored, services: new Set(services) };
}

describe('window RCA', () => {
  it('ranks the service blamed by the anomalous traces first', () => {
    const traces = [
      wt(
        0.99,
        true,
        [
          ['cart', 0.8],
          ['frontend', 0.2],
        ],
        ['frontend', 'cart'],
      ),
      wt(0.98, true, [['cart', 0.6]], ['frontend', 'cart']),
      wt(0.97, true, [['currency', 0.5]], ['frontend', 'currency']),
      ...Array.from({ length: 7 }, () => wt(0.1, false, [['ad', 1]], ['frontend', 'ad'])),
    ];
    const ranked = rankWindow(traces);
    expect(ranked[0].service).toBe('cart');
    // Normal traces' causes are ignored: ad is blamed only by them and never appears in an anomalous trace.
    expect(ranked.find((r) => r.service === 'ad')).toBeUndefined();
    // cause shares sum to 1 over the anomalous traces' services.
    expect(ranked.reduce((s, r) => s + r.cause, 0)).toBeCloseTo(1, 12);
  });

  it('lets the spectrum term break a tie in blame', () => {
    // Blame is split evenly, but only `db` is confined to the anomalous traces.
    const traces = [
      wt(
        0.9,
        true,
        [
          ['db', 0.5],
          ['api', 0.5],
        ],
        ['api', 'db'],
      ),
      wt(
        0.9,
        true,
        [
          ['db', 0.5],
          ['api', 0.5],
        ],
        ['api', 'db'],
      ),
      wt(
        0.9,
        true,
        [
          ['db', 0.5],
          ['api', 0.5],
        ],
        ['api', 'db'],
      ),
      ...Array.from({ length: 7 }, () => wt(0.1, false, [], ['api'])),
    ];
    expect(rankWindow(traces).map((r) => r.service)).toEqual(['db', 'api']);
  });

  it('tops up the anomalous set with the highest scores when too few are flagged', () => {
    const traces = [0.2, 0.9, 0.5, 0.1, 0.8].map((s) => wt(s, false, [], ['a']));
    expect(anomalousSet(traces)).toEqual([false, true, true, false, true]);
    const flagged = [0.2, 0.9, 0.5, 0.1, 0.8].map((s) => wt(s, true, [], ['a']));
    expect(anomalousSet(flagged)).toEqual([true, true, true, true, true]);
  });
});
