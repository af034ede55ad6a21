import type { Incident } from '../../incidents/incident.js';

export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** An anomaly's severity from its calibrated score (a trace, not a page: opt-in events only). */
export function anomalySeverity(score: number | undefined): Severity {
  if (score === undefined) return 'info';
  if (score >= 0.9) return 'critical';
  if (score >= 0.75) return 'error';
  if (score >= 0.5) return 'warning';
  return 'info';
}

/** Share of failing calls above which an incident pages as critical. */
const CRITICAL_ERROR_RATE = 0.25;
/** Endpoints touched from which an incident is critical, whatever its signals: it is widespread. */
const CRITICAL_ENDPOINTS = 5;
/** Signal strength (robust units past the baseline, >= 1 fired) from which a latency signal is an error. */
const STRONG = 3;

/**
 * How bad an incident is, from what it measured rather than a constant: many failing calls or a wide blast
 * radius are critical; failures or a strong latency change are errors; the rest (anomaly rates, traffic and
 * structure changes, weak shifts) are warnings. Root-cause scores are shares
 * among suspects and say nothing about severity, so they are not used. A resolve keeps the incident's
 * severity, so a receiver closes what it opened.
 */
export function incidentSeverity(i: Incident): Severity {
  const errors = i.signals.filter((s) => s.kind === 'error-rate');
  if (errors.some((s) => s.value >= CRITICAL_ERROR_RATE) || i.endpoints.length >= CRITICAL_ENDPOINTS)
    return 'critical';
  const latency = i.signals.some(
    (s) => (s.kind === 'latency-shift' || s.kind === 'latency-growth') && s.strength >= STRONG,
  );
  if (errors.length > 0 || latency || i.endpoints.length >= 3) return 'error';
  return 'warning';
}
