import type { Anomaly } from '../../src/store/anomaly-record.js';
import type { IncidentEvent } from '../../src/webhooks/events.js';

export function sampleAnomaly(over: Partial<Anomaly> = {}): Anomaly {
  const traceId = over.traceId ?? '4bf92f3577b34da6a3ce929d0e0e4736';
  return {
    traceId,
    id: traceId,
    service: 'frontend',
    operation: 'GET /checkout',
    startTime: '2025-03-04T10:00:00.000Z',
    durationMs: 1843.5,
    spanCount: 42,
    score: 0.93,
    anomalous: true,
    detectors: { baseline: 0.95, iforest: 0.81 },
    rootCauses: [
      {
        service: 'payments',
        operation: 'Charge',
        kind: 'latency',
        contribution: 0.71,
        evidence: 'self time 1520 ms vs p99 80 ms',
      },
      { service: 'db', kind: 'error', contribution: 0.12, evidence: '3 error spans' },
      { service: 'cart', operation: 'Get', kind: 'latency', contribution: 0.05, evidence: 'slightly slow' },
      { service: 'auth', operation: 'Check', kind: 'latency', contribution: 0.02, evidence: 'noise' },
    ],
    detectedAt: '2025-03-04T10:00:05.000Z',
    source: 'jaeger',
    link: 'https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736',
    ...over,
  };
}

export function sampleIncident(over: Partial<IncidentEvent> = {}): IncidentEvent {
  return {
    id: 'inc-17',
    status: 'open',
    title: 'payments Charge slow',
    start: '2025-03-04T10:00:00.000Z',
    endpoints: ['frontend:GET /checkout', 'api:POST /orders'],
    rootCauses: [
      { service: 'payments', operation: 'Charge', score: 0.8, evidence: 'p99 self time x19' },
      { service: 'db', score: 0.4, evidence: 'lock waits' },
    ],
    traceIds: ['4bf92f3577b34da6a3ce929d0e0e4736', '5bf92f3577b34da6a3ce929d0e0e4737'],
    ...over,
  };
}
