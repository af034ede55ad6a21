import type { Trace } from '../trace/trace.js';
import { endpointOf } from '../trace/trace.js';
import { errorOrigins } from '../trace/error-origins.js';
import { isoFromMicros } from '../trace/iso-time.js';
import type { ScoredTrace } from './scored-trace.js';

/**
 * Before an endpoint has a model only what needs no training is reported: a trace whose spans say they
 * failed. Its root cause is the error span with no failing span below it.
 */
export function errorOnly(t: Trace): ScoredTrace {
  const { service, operation } = endpointOf(t);
  const origin = errorOrigins(t);
  const origins = t.spans.filter((_, i) => origin[i]);
  return {
    traceId: t.traceId,
    service,
    operation,
    startTime: isoFromMicros(t.start),
    durationMs: (t.end - t.start) / 1000,
    spanCount: t.spans.length,
    score: origins.length ? 1 : 0,
    // No model, so no normal to measure added latency or surprise against: errors are the whole cost.
    impact: { addedMs: 0, errors: origins.length },
    anomalous: origins.length > 0,
    detectors: { errors: origins.length ? 1 : 0 },
    rootCauses: origins.slice(0, 3).map((s) => ({
      service: s.service,
      operation: s.operation,
      instance: s.instance,
      kind: 'error' as const,
      contribution: 1 / Math.min(3, origins.length),
      evidence: `${s.service}:${s.operation} failed${s.statusMessage ? ` ("${s.statusMessage}")` : ''} and no call it made did`,
    })),
  };
}
