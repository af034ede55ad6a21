import { REFERENCE_MINUTES } from '../incidents/incident-run.js';
import type { IncidentEvent } from '../incidents/incident.js';
import { entryLoadFirst, rankServices, toRootCauses } from '../incidents/rca.js';
import { ShiftEvidence } from '../incidents/shift-evidence.js';
import { MINUTE_US, minuteOf, type Signal } from '../incidents/signal.js';
import {
  DEFAULT_TRACKER_OPTIONS,
  IncidentTracker,
  type MinuteAnomaly,
  type TrackerOptions,
  type TrackerState,
} from '../incidents/tracker.js';
import type { EvidenceStore, MinuteEvidence } from '../store/incident-evidence.js';
import type { IncidentStore } from '../store/incidents.js';
import { incidentEvent, type IncidentWebhookEvent } from '../webhooks/events.js';

/** How far the traces have come: what the incident job may judge without missing late ones. */
export interface IngestProgress {
  /**
   * µs: every trace that started before it has been handed to scoring (the lowest poll watermark).
   * undefined: nothing is polled (pushes only, the time delay alone decides); null: sources are polled but
   * none has a watermark yet.
   */
  watermark?: number | null;
  /** Wall-clock ms at which the watermark was read. */
  readAt: number;
  /** Wall-clock ms at which the oldest scoring job not yet finished was enqueued; undefined when none is. */
  oldestPendingAt?: number;
}

export interface IncidentJobOptions {
  tracker: TrackerOptions;
  /** Seconds after its end before a minute is judged: late spans, the push buffer's settle time, scoring. */
  delayS: number;
  /** Minutes judged on the very first run, back from the last closed one. */
  firstLookbackMinutes: number;
  /** At most this many minutes per run; a long catch-up carries on in the next run. */
  maxMinutesPerRun: number;
  /** Updates of one incident go out at most this often (minutes); opened and resolved always go out. */
  updateEveryMinutes: number;
  /** The single-flight lock's lifetime, ms. */
  lockMs: number;
}

export const DEFAULT_INCIDENT_JOB_OPTIONS: Readonly<IncidentJobOptions> = Object.freeze({
  tracker: { ...DEFAULT_TRACKER_OPTIONS },
  delayS: 120,
  firstLookbackMinutes: 60,
  maxMinutesPerRun: 60,
  updateEveryMinutes: 5,
  lockMs: 5 * 60_000,
});

export interface IncidentJobDeps {
  store: Pick<IncidentStore, 'upsert' | 'loadState' | 'saveState' | 'lock' | 'unlock'>;
  /** Per-minute evidence and flagged traces, as the scoring pipeline stored them; compacted once judged. */
  evidence: Pick<EvidenceStore, 'range'> & Partial<Pick<EvidenceStore, 'compact'>>;
  /** Signals of one closed minute (µs), judged against the stored history before it. */
  signals: (minute: number) => Promise<Signal[]>;
  progress: () => Promise<IngestProgress>;
  /**
   * Sends one event to the webhooks that want it and to those in `follow` (already told about this
   * incident); returns the ids of the webhooks it went to.
   */
  notify: (event: IncidentWebhookEvent, follow: readonly string[]) => Promise<string[]>;
  options?: Partial<IncidentJobOptions>;
  log?: (msg: string) => void;
  /** Wall clock, ms. */
  now?: () => number;
}

interface JobState {
  v: 1;
  /** Incident ids are `${idPrefix}${n}`: fixed when the state is first made, so ids stay unique if it is lost. */
  idPrefix: string;
  tracker: TrackerState;
  /** Per open incident: the minute its last notification was about, and the webhooks told about it. */
  notified: Record<string, { minute: number; hooks: string[] }>;
  /** Recent [wall ms, watermark µs] readings, to tell how far scoring has come (see closedUntil). */
  marks: [number, number][];
}

export interface IncidentJobResult {
  skipped?: 'locked';
  minutes: number;
  /** The last minute judged (ISO), when any was. */
  through?: string;
  opened: number;
  updated: number;
  resolved: number;
  /** Webhook events handed to the dispatcher (one per event, however many webhooks it went to). */
  notified: number;
}

const MARKS_KEPT = 30;

/**
 * The end (µs) of the time the job may judge now: `delayS` behind the clock, and no further than traces
 * are known to be scored. Polled traces older than a watermark were handed to scoring before the
 * watermark moved, so once every scoring job enqueued before a watermark was read has finished, everything
 * before that watermark is scored. Exported for tests.
 */
export function closedUntil(
  nowMs: number,
  delayS: number,
  p: IngestProgress,
  marks: [number, number][],
): number {
  const byTime = nowMs * 1000 - delayS * 1e6;
  if (p.watermark === undefined) return byTime;
  if (p.watermark === null) return -Infinity;
  if (p.oldestPendingAt === undefined) return Math.min(byTime, p.watermark);
  let scored = -Infinity;
  for (const [at, wm] of marks) if (at < p.oldestPendingAt && wm > scored) scored = wm;
  return Math.min(byTime, scored);
}

/**
 * Per-minute evidence held for ranking: the window of every open incident plus the reference hour before it,
 * loaded once and slid forward minute by minute.
 */
class EvidenceWindow {
  private readonly minutes = new Map<number, MinuteEvidence | null>();

  constructor(private readonly store: IncidentJobDeps['evidence']) {}

  async cover(from: number, to: number): Promise<void> {
    for (const m of this.minutes.keys()) if (m < from) this.minutes.delete(m);
    let first: number | undefined;
    for (let m = from; m <= to; m += MINUTE_US)
      if (!this.minutes.has(m)) {
        first = m;
        break;
      }
    if (first === undefined) return;
    const got = await this.store.range(first, to);
    for (let m = first; m <= to; m += MINUTE_US) this.minutes.set(m, got.get(m) ?? null);
  }

  anomalies(minute: number): MinuteAnomaly[] {
    return this.minutes.get(minute)?.anomalies ?? [];
  }

  /** The service call graph of the reference hour up to `minute`, as the evidence recorded it. */
  callsAround(minute: number): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const [m, e] of this.minutes) {
      if (!e || m > minute || m < minute - REFERENCE_MINUTES * MINUTE_US) continue;
      for (const [caller, callees] of e.evidence.calls) {
        let set = out.get(caller);
        if (set === undefined) out.set(caller, (set = new Set()));
        for (const c of callees) set.add(c);
      }
    }
    return out;
  }

  /** Root causes of [start, end) against the reference hour before it. */
  rank(start: number, end: number) {
    const window = new ShiftEvidence();
    for (let m = start; m < end; m += MINUTE_US) {
      const e = this.minutes.get(m);
      if (e) window.merge(e.evidence);
    }
    const reference: ShiftEvidence[] = [];
    for (let m = start - REFERENCE_MINUTES * MINUTE_US; m < start; m += MINUTE_US) {
      const e = this.minutes.get(m);
      if (e) reference.push(e.evidence);
    }
    return toRootCauses(rankServices(window, reference));
  }
}

/**
 * The per-minute incident job: judges every minute that closed since the last run through the incident
 * tracker (signals of the minute, its flagged traces, root causes ranked over each incident's window
 * against the hour before it), stores each new revision of an incident, and tells the webhooks. Opened and
 * resolved go out once per incident, updates at most every `updateEveryMinutes`. One run at a time (a
 * Redis lock); the tracker's state is saved after every minute, and a minute replayed after a crash
 * produces the same revisions and event ids, which the store and the dispatcher ignore the second time.
 */
export async function runIncidentJob(deps: IncidentJobDeps): Promise<IncidentJobResult> {
  const o: IncidentJobOptions = { ...DEFAULT_INCIDENT_JOB_OPTIONS, ...deps.options };
  const now = deps.now ?? Date.now;
  const result: IncidentJobResult = { minutes: 0, opened: 0, updated: 0, resolved: 0, notified: 0 };
  const token = await deps.store.lock(o.lockMs);
  if (token === undefined) return { ...result, skipped: 'locked' };
  try {
    const state =
      (await deps.store.loadState<JobState>()) ??
      ({
        v: 1,
        idPrefix: `inc-${now().toString(36)}-`,
        tracker: new IncidentTracker(o.tracker).toJSON(),
        notified: {},
        marks: [],
      } satisfies JobState);
    const progress = await deps.progress();
    if (typeof progress.watermark === 'number') {
      state.marks.push([progress.readAt, progress.watermark]);
      state.marks = state.marks.slice(-MARKS_KEPT);
    }
    const closed = closedUntil(now(), o.delayS, progress, state.marks);
    const tracker = IncidentTracker.fromJSON(state.tracker, state.idPrefix);
    const last = state.tracker.lastMinute;
    let minute =
      last !== null
        ? last + MINUTE_US
        : minuteOf(Number.isFinite(closed) ? closed : 0) - o.firstLookbackMinutes * MINUTE_US;
    const evidence = new EvidenceWindow(deps.evidence);
    for (; minute + MINUTE_US <= closed && result.minutes < o.maxMinutesPerRun; minute += MINUTE_US) {
      const signals = await deps.signals(minute);
      const open = tracker.openIncidents();
      // Without a signal or an open incident a minute changes nothing but the tracker's clock: its flagged
      // traces and evidence are read only when something could use them.
      const busy = signals.length > 0 || open.length > 0;
      if (busy) {
        let from = minute - o.tracker.openWindow * MINUTE_US;
        for (const i of open) from = Math.min(from, Date.parse(i.start) * 1000);
        await evidence.cover(from - REFERENCE_MINUTES * MINUTE_US, minute);
      }
      const events = tracker.observe(
        minute,
        signals,
        busy ? evidence.anomalies(minute) : [],
        (_suspect, start, end, sigs) => entryLoadFirst(evidence.rank(start, end), sigs),
        busy ? evidence.callsAround(minute) : new Map(),
      );
      for (const e of events) await deps.store.upsert(e.incident);
      for (const e of events) await tell(deps, o, state, e, minute, result);
      state.tracker = tracker.toJSON();
      await deps.store.saveState(state);
      await deps.evidence.compact?.(minute);
      result.minutes++;
      result.through = new Date(minute / 1000).toISOString();
    }
    if (result.minutes === 0) await deps.store.saveState(state);
    return result;
  } finally {
    await deps.store.unlock(token);
  }
}

async function tell(
  deps: IncidentJobDeps,
  o: IncidentJobOptions,
  state: JobState,
  e: IncidentEvent,
  minute: number,
  result: IncidentJobResult,
): Promise<void> {
  const id = e.incident.id;
  const told = state.notified[id];
  if (e.type === 'incident.opened') result.opened++;
  else if (e.type === 'incident.resolved') result.resolved++;
  else {
    result.updated++;
    // Coalesced: the next update that goes out carries every change since the last one.
    if (told !== undefined && minute - told.minute < o.updateEveryMinutes * MINUTE_US) return;
  }
  const hooks = await deps.notify(incidentEvent(e), told?.hooks ?? []);
  result.notified++;
  const top = e.incident.rootCauses[0];
  deps.log?.(
    `${e.type} ${id} (revision ${e.incident.revision}): ${e.incident.endpoints.length} endpoints, ` +
      `${e.incident.traceCount} traces, likely ${top ? top.service : 'unknown'}; told ${hooks.length} webhooks`,
  );
  if (e.type === 'incident.resolved') delete state.notified[id];
  else state.notified[id] = { minute, hooks: [...new Set([...(told?.hooks ?? []), ...hooks])] };
}
