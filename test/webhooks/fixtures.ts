import type { Anomaly } from '../../src/store/anomaly-record.js';
import type { Incident } from '../../src/incidents/incident.js';
import { incidentEvent, type IncidentWebhookEvent } from '../../src/webhooks/events.js';

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

/** A valid incident record (the contract of src/incidents/incident.ts). */
export function sampleIncident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-17',
    status: 'open',
    start: '2025-03-04T10:00:00.000Z',
    end: '2025-03-04T10:05:00.000Z',
    endpoints: ['api:POST /orders', 'frontend:GET /checkout'],
    signals: [
      {
        kind: 'latency-shift',
        target: { type: 'endpoint', key: 'frontend:GET /checkout' },
        minute: 1_741_082_520_000_000,
        strength: 4.2,
        value: 1840,
        baseline: 310,
        evidence: 'p90 latency 1840 ms against a usual 310 ms',
      },
    ],
    traceIds: ['4bf92f3577b34da6a3ce929d0e0e4736', '5bf92f3577b34da6a3ce929d0e0e4737'],
    traceCount: 57,
    rootCauses: [
      { service: 'payments', operation: 'Charge', score: 0.62, evidence: 'Charge self time up 19 robust sd' },
      { service: 'db', score: 0.21, evidence: 'lock waits' },
    ],
    revision: 3,
    ...over,
  };
}

export const opened = (over: Partial<Incident> = {}): IncidentWebhookEvent =>
  incidentEvent({ type: 'incident.opened', incident: sampleIncident({ revision: 0, ...over }) });
export const updated = (over: Partial<Incident> = {}): IncidentWebhookEvent =>
  incidentEvent({ type: 'incident.updated', incident: sampleIncident(over) });
export const resolvedEvent = (over: Partial<Incident> = {}): IncidentWebhookEvent =>
  incidentEvent({
    type: 'incident.resolved',
    incident: sampleIncident({
      status: 'resolved',
      end: '2025-03-04T10:30:00.000Z',
      resolvedAt: '2025-03-04T10:35:00.000Z',
      revision: 9,
      ...over,
    }),
  });
