/**
 * End-to-end evaluation: incidents opened by the same code a user runs (`tracehound incidents`, the service's
 * incident job), matched to known faults. Nothing is handed to the ranker: a fault no incident covers is a
 * miss at every k.
 */
import type { Incident } from '../incidents/incident.js';
import type { Trace } from '../trace/trace.js';
import type { ModelSet } from '../scoring/model-set.js';
import { OfflineIncidents } from '../incidents/offline-incidents.js';
import type { JudgedMinute } from '../incidents/incident-engine.js';
import { microsFromIso } from '../trace/iso-time.js';

export interface KnownFault {
  id: string;
  type: string;
  /** Fault window, µs since the epoch. */
  start: number;
  end: number;
  /** Services any of which counts as the root cause. */
  truth: string[];
}

export interface EndToEndFault {
  id: string;
  type: string;
  truth: string[];
  /** Incidents overlapping the fault window. */
  incidents: string[];
  /** An overlapping incident that started inside the fault (or within a minute before it): not a fold-in. */
  ownIncident: boolean;
  /** Such an incident of its own names a true service first: what the page a person gets says. */
  ownFirst: boolean;
  /** 1-based rank of a true service among the overlapping incidents' causes (best of them); 0 when missed. */
  rank: number;
  /** First causes of the overlapping incidents. */
  firstCauses: string[];
  /** Seconds from the fault's start to the end of the minute its first overlapping incident opened in. */
  openedAfterS: number | null;
}

export interface EndToEndSummary {
  faults: number;
  /** Faults with at least one overlapping incident. */
  found: number;
  /** Faults with an incident of their own (see EndToEndFault.ownIncident), and those naming the cause first. */
  own: number;
  ownFirst: number;
  /** AS@k over every fault (a missed fault misses at every k). */
  asK: { 1: number; 3: number; 5: number };
  incidents: number;
  /** Incidents overlapping no fault window (widened by the margin). */
  falseIncidents: number;
  /** Median seconds to open over the faults found. */
  medianOpenS: number | null;
}

export interface EndToEndResult {
  summary: EndToEndSummary;
  byType: Record<string, EndToEndSummary>;
  faults: EndToEndFault[];
}

function rankIn(incident: Incident, truth: readonly string[]): number {
  const i = incident.rootCauses.findIndex((c) => truth.includes(c.service));
  return i < 0 ? 0 : i + 1;
}

export function matchFaults(
  faults: readonly KnownFault[],
  incidents: readonly Incident[],
  marginUs = 60e6,
): EndToEndResult {
  const overlaps = (f: KnownFault, i: Incident, m: number) =>
    microsFromIso(i.start) < f.end + m && microsFromIso(i.end) > f.start - m;
  const outcomes: EndToEndFault[] = faults.map((f) => {
    const hits = incidents.filter((i) => overlaps(f, i, 0));
    const own = hits.filter((i) => microsFromIso(i.start) >= f.start - 60e6);
    const ranks = hits.map((i) => rankIn(i, f.truth)).filter((r) => r > 0);
    const opened = hits
      .map((i) => (i.openedAt ? microsFromIso(i.openedAt) : microsFromIso(i.start) + 60e6))
      .sort((a, b) => a - b);
    return {
      id: f.id,
      type: f.type,
      truth: f.truth,
      incidents: hits.map((i) => i.id),
      ownIncident: own.length > 0,
      ownFirst: own.some((i) => rankIn(i, f.truth) === 1),
      rank: ranks.length ? Math.min(...ranks) : 0,
      firstCauses: hits.map((i) => i.rootCauses[0]?.service ?? '-'),
      openedAfterS: opened.length ? Math.max(0, (opened[0] - f.start) / 1e6) : null,
    };
  });
  const falseIncidents = incidents.filter((i) => !faults.some((f) => overlaps(f, i, marginUs))).length;
  const byType: Record<string, EndToEndSummary> = {};
  for (const type of [...new Set(faults.map((f) => f.type))].sort())
    byType[type] = summarize(
      outcomes.filter((o) => o.type === type),
      NaN,
      NaN,
    );
  return { summary: summarize(outcomes, incidents.length, falseIncidents), byType, faults: outcomes };
}

function summarize(
  outcomes: readonly EndToEndFault[],
  incidents: number,
  falseIncidents: number,
): EndToEndSummary {
  const n = outcomes.length;
  const at = (k: number) => (n ? outcomes.filter((o) => o.rank > 0 && o.rank <= k).length / n : 0);
  const open = outcomes
    .map((o) => o.openedAfterS)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  return {
    faults: n,
    found: outcomes.filter((o) => o.incidents.length > 0).length,
    own: outcomes.filter((o) => o.ownIncident).length,
    ownFirst: outcomes.filter((o) => o.ownFirst).length,
    asK: { 1: at(1), 3: at(3), 5: at(5) },
    incidents,
    falseIncidents,
    medianOpenS: open.length ? open[(open.length - 1) >> 1] : null,
  };
}

/** Replays traces through the offline incident path in time order, in the CLI's batch size. */
export function replayIncidents(
  model: ModelSet,
  traces: readonly Trace[],
  onMinute?: (minute: number, judged: JudgedMinute) => void,
  batch = 1000,
): Promise<Incident[]> {
  const sorted = [...traces].sort((a, b) => a.start - b.start);
  const run = new OfflineIncidents(model);
  for (let i = 0; i < sorted.length; i += batch) run.addBatch(sorted.slice(i, i + batch));
  return run.incidents(onMinute);
}
