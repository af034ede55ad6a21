import type { Anomaly } from '../../src/store/anomaly-record.js';

/** A 32-hex trace id from a number, so tests can name anomalies by index. */
export function tid(n: number): string {
  return n.toString(16).padStart(32, '0');
}

export const T0 = Date.parse('2025-03-01T00:00:00.000Z');

/** A valid anomaly; `n` picks the id and defaults give distinct scores and times. */
export function anomaly(n: number, over: Partial<Anomaly> = {}): Anomaly {
  const id = over.id ?? tid(n);
  return {
    traceId: id,
    id,
    service: 'frontend',
    operation: 'GET /checkout',
    startTime: new Date(T0 + n * 1000).toISOString(),
    durationMs: 120 + n,
    spanCount: 7,
    score: 0.5 + (n % 97) / 200,
    anomalous: true,
    detectors: { baseline: 0.9 },
    rootCauses: [
      {
        service: 'payment',
        operation: 'Charge',
        kind: 'latency',
        contribution: 0.8,
        evidence: 'Charge was slow.',
      },
    ],
    detectedAt: new Date(T0 + n * 1000 + 5000).toISOString(),
    source: 'test',
    ...over,
  };
}
