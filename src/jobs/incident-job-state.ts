import type { IncidentEvent } from '../incidents/incident.js';
import { MINUTE_US } from '../traffic/minute.js';
import type { TrackerState } from '../incidents/tracker.js';
import { DEFAULT_TRACKER_OPTIONS, type TrackerOptions } from '../incidents/tracker-options.js';
import type { IncidentEngine } from '../incidents/incident-engine.js';
import type { IncidentStore } from '../store/incidents.js';
import { incidentEvent, type IncidentWebhookEvent } from '../webhooks/events.js';

/**
 * What the incident job and the hand-made actions on its incidents share: its options, its state in Redis,
 * what one run did, and how an incident event is told to the webhooks.
 */

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

/** What judges the minutes and tells about it: built once by the wiring, the same for every run. */
export interface IncidentJudging {
  /**
   * The incident loop over the stored per-minute evidence and aggregates (the same engine the CLI runs). It
   * keeps the minutes it read, so one engine should serve every run of a process.
   */
  engine: IncidentEngine;
  /** Called once a minute has been judged (the evidence store compacts it). */
  judged?: (minute: number) => Promise<void>;
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

/** One run of the incident job: the judging, the store it keeps incidents in and the ingest progress it waits for. */
export interface IncidentJobDeps extends IncidentJudging {
  store: Pick<
    IncidentStore,
    'upsert' | 'get' | 'loadState' | 'saveState' | 'lock' | 'unlock' | 'pendingActions' | 'dropActions'
  >;
  progress: () => Promise<IngestProgress>;
}

export interface JobState {
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
  /** Acknowledgements and resolves asked for through the API that this run applied. */
  actions?: number;
  /** Webhook events handed to the dispatcher (one per event, however many webhooks it went to). */
  notified: number;
}

/** Tells the webhooks about one event, coalescing updates; counts it in the run's result. */
export async function tell(
  deps: Pick<IncidentJobDeps, 'notify' | 'log'>,
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
  else if (e.type === 'incident.updated') {
    result.updated++;
    // Someone is on it: the store has every change, the pager hears nothing more until it resolves.
    if (e.incident.acknowledgedAt !== undefined) return;
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
  else
    state.notified[id] = {
      // An acknowledgement is not an update: it leaves the update clock where it was.
      minute: e.type === 'incident.acknowledged' && told !== undefined ? told.minute : minute,
      hooks: [...new Set([...(told?.hooks ?? []), ...hooks])],
    };
}
