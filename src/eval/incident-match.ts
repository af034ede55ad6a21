/**
 * Incidents against known fault windows: which faults an incident covered, whether its first root cause
 * named the faulty service, and how many incidents opened where no fault was.
 */
import type { Incident } from '../incidents/incident.js';

export interface FaultWindow {
  /** µs since the epoch. */
  start: number;
  end: number;
  /** Services any of which counts as the root cause. */
  truth: string[];
}

export interface IncidentMatch {
  incidents: number;
  /** Faults overlapped by at least one incident. */
  faultsFound: number;
  /** Faults whose overlapping incidents' first root cause names a true service (any of them). */
  rootCauseFirst: number;
  faults: number;
  /** Incidents overlapping no fault window (widened by the margin). */
  falseIncidents: number;
}

const us = (iso: string) => Date.parse(iso) * 1000;

export function matchIncidents(
  faults: readonly FaultWindow[],
  incidents: readonly Incident[],
  marginUs = 60e6,
): IncidentMatch {
  const overlaps = (f: FaultWindow, i: Incident, m: number) =>
    us(i.start) <= f.end + m && us(i.end) >= f.start - m;
  let found = 0;
  let first = 0;
  for (const f of faults) {
    const hits = incidents.filter((i) => overlaps(f, i, 0));
    if (hits.length === 0) continue;
    found++;
    if (hits.some((i) => i.rootCauses.length > 0 && f.truth.includes(i.rootCauses[0].service))) first++;
  }
  const falseIncidents = incidents.filter((i) => !faults.some((f) => overlaps(f, i, marginUs))).length;
  return {
    incidents: incidents.length,
    faultsFound: found,
    rootCauseFirst: first,
    faults: faults.length,
    falseIncidents,
  };
}
