/**
 * Incidents against the scheduled faults, one fault at a time. A fault's window is widened by a minute before
 * (incidents start on a minute) and TAIL_S after (signals lag). An incident that opened outside every widened
 * window is a false one, even when it lasts into a fault: no fault opened it. Any other incident belongs to
 * one fault: among the faults it overlaps, the one its first cause names, else the latest-starting fault
 * whose window it opened in. A fault "got its own incident" when some incident belongs to it; a fault that
 * overlaps an incident belonging to another was folded into it.
 */
import type { Incident } from '../../../src/incidents/incident.js';
import type { FaultWindow } from '../model.js';

const TAIL_S = 120;

export interface FaultIncidentOutcome {
  faultId: string;
  kind: string;
  group: FaultWindow['group'];
  rootCause: string[];
  /** Incidents attributed to this fault. */
  incidents: number;
  own: boolean;
  /** An incident attributed to it names a root-cause service first. */
  rootCauseFirst: boolean;
  /** First causes of the incidents attributed to it. */
  firstCauses: string[];
  /** From the fault's start to the end of the first minute of its earliest incident (offline: no job delay). */
  openedAfterS: number | null;
  /** Faults whose incident absorbed this one. */
  foldedInto: string[];
}

/** A false incident, enough to see what fired. */
export interface FalseIncident {
  start: string;
  end: string;
  firstCause: string | null;
  /** `kind target` of its strongest signals. */
  signals: string[];
  traceCount: number;
}

export interface IncidentOutcomes {
  incidents: number;
  faults: FaultIncidentOutcome[];
  falseIncidents: number;
  falseList: FalseIncident[];
  /** Hours of the test period outside every widened fault window. */
  faultFreeHours: number;
  falsePerFaultFreeHour: number;
}

const us = (iso: string) => Date.parse(iso) * 1000;

const LEAD_S = 60;

function overlapUs(f: FaultWindow, i: Incident): number {
  return Math.min(f.end + TAIL_S * 1e6, us(i.end)) - Math.max(f.start - LEAD_S * 1e6, us(i.start));
}

const openedIn = (f: FaultWindow, i: Incident) =>
  us(i.start) >= f.start - LEAD_S * 1e6 && us(i.start) <= f.end + TAIL_S * 1e6;

export function incidentOutcomes(
  faults: readonly FaultWindow[],
  incidents: readonly Incident[],
  period: { start: number; end: number },
): IncidentOutcomes {
  const attributed = new Map<string, Incident[]>();
  const folded = new Map<string, Set<string>>();
  const falseList: FalseIncident[] = [];
  for (const inc of incidents) {
    const openers = faults.filter((f) => openedIn(f, inc));
    if (openers.length === 0) {
      falseList.push({
        start: inc.start,
        end: inc.end,
        firstCause: inc.rootCauses[0]?.service ?? null,
        signals: inc.signals.slice(0, 3).map((g) => `${g.kind} ${g.target.key}`),
        traceCount: inc.traceCount,
      });
      continue;
    }
    const covered = faults.filter((f) => overlapUs(f, inc) >= 0);
    const first = inc.rootCauses[0]?.service;
    const named = covered.filter((f) => first !== undefined && f.rootCause.includes(first));
    const owner =
      named.length > 0
        ? named.reduce((a, b) => (overlapUs(b, inc) > overlapUs(a, inc) ? b : a))
        : openers.reduce((a, b) => (b.start > a.start ? b : a));
    (attributed.get(owner.id) ?? attributed.set(owner.id, []).get(owner.id)!).push(inc);
    for (const f of covered)
      if (f !== owner) (folded.get(f.id) ?? folded.set(f.id, new Set()).get(f.id)!).add(owner.id);
  }
  const outcomes = faults.map((f): FaultIncidentOutcome => {
    const mine = attributed.get(f.id) ?? [];
    const firstCauses = mine.map((i) => i.rootCauses[0]?.service ?? '(none)');
    const earliest = mine.length ? Math.min(...mine.map((i) => us(i.start))) : null;
    return {
      faultId: f.id,
      kind: f.kind,
      group: f.group,
      rootCause: f.rootCause,
      incidents: mine.length,
      own: mine.length > 0,
      rootCauseFirst: firstCauses.some((c) => f.rootCause.includes(c)),
      firstCauses,
      openedAfterS: earliest === null ? null : (earliest + 60e6 - f.start) / 1e6,
      foldedInto: mine.length ? [] : [...(folded.get(f.id) ?? [])],
    };
  });
  let busy = 0;
  const spans = faults
    .map((f) => [Math.max(period.start, f.start - LEAD_S * 1e6), Math.min(period.end, f.end + TAIL_S * 1e6)])
    .sort((a, b) => a[0] - b[0]);
  let reach = period.start;
  for (const [a, b] of spans) {
    if (b > reach) busy += b - Math.max(a, reach);
    reach = Math.max(reach, b);
  }
  const faultFreeHours = (period.end - period.start - busy) / 3.6e9;
  return {
    incidents: incidents.length,
    faults: outcomes,
    falseIncidents: falseList.length,
    falseList,
    faultFreeHours,
    falsePerFaultFreeHour: falseList.length / faultFreeHours,
  };
}
