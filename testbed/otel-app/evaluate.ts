/**
 * What a testbed run measured, from what Tracehound's public API returned and what the app recorded. Pure:
 * the harness gathers the inputs, this file holds the definitions.
 *
 * Definitions (times are wall-clock; an incident's window is its API `start`..`end`, `end` being "now" while
 * it is open):
 * - An incident *overlaps* a fault when it starts before the fault's end plus one minute (the incident job
 *   judges whole minutes, so a fault's last seconds show in the minute after) and ends after the fault's start.
 * - A fault's *own incident* is an incident that overlaps it, whose first root cause names the faulty
 *   service, and that started no earlier than one minute before the minute the fault started in (so an
 *   incident opened for an earlier fault whose causes later changed does not count). When several qualify,
 *   the one that opened first. Since a first cause names one service, no incident is the own incident of two
 *   faults in different services.
 * - *Time to open*: from the fault's start to the first poll of `GET /v1/incidents` that listed its own
 *   incident (the harness polls every few seconds).
 * - A *false incident* overlaps no fault; a *stray incident* overlaps one but is no fault's own (a second
 *   incident for one fault, or one that blames the wrong service).
 * - *Fault-free stretches*: from the moment every entry endpoint has an active model to the end of the
 *   traffic, less each fault's window widened by RECOVERY_MS on each side (queues drain, slow requests end).
 *   The fault-free anomaly rate is anomalies whose trace started there over requests that started there.
 * - *Host stalls*: moments a service's process could not run (its timer fired 20 ms or more late) outside its
 *   own injected fault: a busy machine, not a service fault, made every span there slow. Each, widened by
 *   STALL_MARGIN_MS on both sides (requests in flight, queues draining), is left out of the fault-free
 *   stretches; what it left out is counted apart (`stall*`), so a run on a busy machine shows as such.
 * - A fault's *injected traces*: traces the faulty service recorded the fault changing (a slowed request, a
 *   failed request, a request that queued behind the hog), and no other fault changed. *Flagged*: stored as
 *   an anomaly; *top-1*: flagged with the faulty service as first root cause.
 */
import type { Incident } from '../../src/incidents/incident.js';
import type { FaultKind, Injected, Stall } from './faults.js';
import type { RequestRecord } from './load.js';

export const MINUTE_MS = 60_000;
/** Margin around a fault that belongs to neither the fault nor the fault-free stretches. */
export const RECOVERY_MS = 15_000;
/** Margin around a host stall: a request that started this long before it, or as long after, met it. */
export const STALL_MARGIN_MS = 1_000;

export interface FaultWindow {
  name: string;
  service: string;
  kind: FaultKind;
  /** Wall-clock ms: when the switch turned on and off. */
  start: number;
  end: number;
}

/** An incident as the harness saw it: the final record, and when it was first listed with what first cause. */
export interface SeenIncident {
  incident: Incident;
  firstSeenAt: number;
  firstCauseAtOpen?: string;
}

/** What of an anomaly the figures need. */
export interface FlaggedTrace {
  traceId: string;
  /** Wall-clock ms of the trace's start. */
  start: number;
  firstCause?: string;
}

export interface FaultOutcome {
  name: string;
  service: string;
  kind: FaultKind;
  start: string;
  durationS: number;
  /** Ids of incidents overlapping the fault. */
  overlapping: string[];
  ownIncident?: string;
  /** First root cause of the own incident, or else of the first overlapping one (final, and when first listed). */
  firstCause?: string;
  firstCauseAtOpen?: string;
  openedAfterS?: number;
  injectedTraces: number;
  flagged: number;
  top1: number;
}

/** What the users saw per page: fault-free latency, and the median during each fault (ms). */
export interface PageLatency {
  page: string;
  cleanP50: number;
  cleanP99: number;
  duringFaultP50: Record<string, number>;
}

export interface RunFigures {
  faults: FaultOutcome[];
  pages: PageLatency[];
  incidents: number;
  falseIncidents: string[];
  strayIncidents: string[];
  cleanRequests: number;
  cleanAnomalies: number;
  /** The same, over the stretch before the first fault only (after faults, queues and retrains may linger). */
  cleanRequestsBefore: number;
  cleanAnomaliesBefore: number;
  /** cleanAnomalies / cleanRequests (NaN without clean requests). */
  cleanAnomalyRate: number;
  /** Host stalls in the fault-free stretches, and the requests and anomalies that met one (left out above). */
  stalls: number;
  stallRequests: number;
  stallAnomalies: number;
  requests: number;
  failedRequests: number;
}

const ms = (iso: string) => Date.parse(iso);

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const minuteStart = (t: number) => Math.floor(t / MINUTE_MS) * MINUTE_MS;

export function overlaps(i: Incident, f: FaultWindow): boolean {
  return ms(i.start) < f.end + MINUTE_MS && ms(i.end) > f.start;
}

function isOwn(i: Incident, f: FaultWindow): boolean {
  return (
    overlaps(i, f) &&
    i.rootCauses[0]?.service === f.service &&
    ms(i.start) >= minuteStart(f.start) - MINUTE_MS
  );
}

/** Whether a time falls between the models' start and the load's end, away from every fault. */
function faultFree(
  t: number,
  faults: readonly FaultWindow[],
  modelsReadyAt: number,
  loadEnd: number,
): boolean {
  if (t < modelsReadyAt || t > loadEnd) return false;
  return !faults.some((f) => t >= f.start - RECOVERY_MS && t <= f.end + RECOVERY_MS);
}

const inStall = (t: number, stalls: readonly Stall[]) =>
  stalls.some((s) => t >= s.start - STALL_MARGIN_MS && t <= s.end + STALL_MARGIN_MS);

/** Whether a time falls in a fault-free stretch: away from every fault and every host stall. */
export function cleanAt(
  t: number,
  faults: readonly FaultWindow[],
  modelsReadyAt: number,
  loadEnd: number,
  stalls: readonly Stall[],
): boolean {
  return faultFree(t, faults, modelsReadyAt, loadEnd) && !inStall(t, stalls);
}

export function evaluate(input: {
  faults: readonly FaultWindow[];
  incidents: readonly SeenIncident[];
  anomalies: readonly FlaggedTrace[];
  requests: readonly RequestRecord[];
  injected: readonly Injected[];
  stalls: readonly Stall[];
  modelsReadyAt: number;
  loadEnd: number;
}): RunFigures {
  const { faults, incidents, anomalies, requests, injected, stalls, modelsReadyAt, loadEnd } = input;
  const byOpen = [...incidents].sort((a, b) => a.firstSeenAt - b.firstSeenAt);
  const flagged = new Map(anomalies.map((a) => [a.traceId, a]));

  // Which faults changed each trace: a trace two faults changed belongs to neither's per-trace figures.
  const faultsOf = new Map<string, Set<string>>();
  for (const r of injected) {
    const f = faults.find(
      (w) => w.service === r.service && w.kind === r.kind && r.at >= w.start && r.at <= w.end + RECOVERY_MS,
    );
    if (!f) continue;
    let s = faultsOf.get(r.traceId);
    if (!s) faultsOf.set(r.traceId, (s = new Set()));
    s.add(f.name);
  }

  const owned = new Set<string>();
  const outcomes = faults.map((f): FaultOutcome => {
    const over = byOpen.filter((s) => overlaps(s.incident, f));
    const own = over.find((s) => isOwn(s.incident, f));
    if (own) owned.add(own.incident.id);
    const named = own ?? over[0];
    let traces = 0;
    let hit = 0;
    let top1 = 0;
    for (const [traceId, names] of faultsOf) {
      if (names.size !== 1 || !names.has(f.name)) continue;
      traces++;
      const a = flagged.get(traceId);
      if (!a) continue;
      hit++;
      if (a.firstCause === f.service) top1++;
    }
    return {
      name: f.name,
      service: f.service,
      kind: f.kind,
      start: new Date(f.start).toISOString(),
      durationS: Math.round((f.end - f.start) / 1000),
      overlapping: over.map((s) => s.incident.id),
      ownIncident: own?.incident.id,
      firstCause: named?.incident.rootCauses[0]?.service,
      firstCauseAtOpen: named?.firstCauseAtOpen,
      openedAfterS: own ? Math.round((own.firstSeenAt - f.start) / 1000) : undefined,
      injectedTraces: traces,
      flagged: hit,
      top1,
    };
  });

  const falseIncidents = incidents
    .filter((s) => !faults.some((f) => overlaps(s.incident, f)))
    .map((s) => s.incident.id);
  const strayIncidents = incidents
    .filter((s) => !owned.has(s.incident.id) && faults.some((f) => overlaps(s.incident, f)))
    .map((s) => s.incident.id);
  const clean = (t: number) => cleanAt(t, faults, modelsReadyAt, loadEnd, stalls);
  const stalled = (t: number) => faultFree(t, faults, modelsReadyAt, loadEnd) && inStall(t, stalls);
  const firstFault = Math.min(...faults.map((f) => f.start));
  const cleanRequests = requests.filter((r) => clean(r.start)).length;
  const cleanAnomalies = anomalies.filter((a) => clean(a.start)).length;
  const cleanRequestsBefore = requests.filter((r) => clean(r.start) && r.start < firstFault).length;
  const cleanAnomaliesBefore = anomalies.filter((a) => clean(a.start) && a.start < firstFault).length;
  const pages = [...new Set(requests.map((r) => r.page))].map((page): PageLatency => {
    const of = requests.filter((r) => r.page === page);
    const clean = of.filter((r) => cleanAt(r.start, faults, modelsReadyAt, loadEnd, stalls)).map((r) => r.ms);
    return {
      page,
      cleanP50: quantile(clean, 0.5),
      cleanP99: quantile(clean, 0.99),
      duringFaultP50: Object.fromEntries(
        faults.map((f) => [
          f.name,
          quantile(
            of.filter((r) => r.start >= f.start && r.start <= f.end).map((r) => r.ms),
            0.5,
          ),
        ]),
      ),
    };
  });
  return {
    faults: outcomes,
    pages,
    incidents: incidents.length,
    falseIncidents,
    strayIncidents,
    cleanRequests,
    cleanAnomalies,
    cleanRequestsBefore,
    cleanAnomaliesBefore,
    cleanAnomalyRate: cleanRequests > 0 ? cleanAnomalies / cleanRequests : NaN,
    stalls: stalls.filter((s) => faultFree(s.start, faults, modelsReadyAt, loadEnd)).length,
    stallRequests: requests.filter((r) => stalled(r.start)).length,
    stallAnomalies: anomalies.filter((a) => stalled(a.start)).length,
    requests: requests.length,
    failedRequests: requests.filter((r) => r.status === 0 || r.status >= 500).length,
  };
}
