import type { Incident } from '../../src/incidents/incident.js';
import type { Signal } from '../../src/incidents/signal.js';

export const M0 = Date.parse('2025-03-01T00:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

export function signalAt(minuteMs: number, key = 'frontend:GET /cart', strength = 2): Signal {
  return {
    kind: 'error-rate',
    target: { type: 'endpoint', key },
    minute: minuteMs * 1000,
    strength,
    value: 0.3,
    baseline: 0.01,
    evidence: `${key}: 30% of calls failed`,
  };
}

/** Incident `n` starts n minutes after M0 and lasts 5 minutes; resolved unless said otherwise. */
export function incident(n: number, over: Partial<Incident> = {}): Incident {
  const start = M0 + n * MIN;
  return {
    id: `inc-t-${n}`,
    status: 'resolved',
    start: iso(start),
    end: iso(start + 5 * MIN),
    resolvedAt: iso(start + 10 * MIN),
    endpoints: ['frontend:GET /cart'],
    signals: [signalAt(start)],
    traceIds: ['0'.repeat(31) + '1'],
    traceCount: 1,
    rootCauses: [{ service: 'cartservice', operation: 'GetCart', score: 0.7, evidence: 'GetCart failed' }],
    revision: 2,
    ...over,
  };
}
