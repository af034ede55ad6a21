import { applyActions } from './incident-actions.js';
import { MINUTE_US, minuteOf } from '../traffic/minute.js';
import { isoFromMicros } from '../trace/iso-time.js';
import { IncidentTracker } from '../incidents/tracker.js';
import {
  DEFAULT_INCIDENT_JOB_OPTIONS,
  tell,
  type IncidentJobDeps,
  type IncidentJobOptions,
  type IncidentJobResult,
  type IngestProgress,
  type JobState,
} from './incident-job-state.js';

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
 * The per-minute incident job: judges every minute that closed since the last run through the incident
 * engine (signals of the minute, its flagged traces, the tracker's grouping, root causes ranked over each
 * incident's window against the hour before it), stores each new revision of an incident, and tells the
 * webhooks. Opened and
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
    // What people asked for goes first, and again after every minute, so a long catch-up keeps them waiting
    // one minute's judgement at most.
    let applied = await applyActions(deps, o, state, tracker, result);
    const last = state.tracker.lastMinute;
    let minute =
      last !== null
        ? last + MINUTE_US
        : minuteOf(Number.isFinite(closed) ? closed : 0) - o.firstLookbackMinutes * MINUTE_US;
    for (; minute + MINUTE_US <= closed && result.minutes < o.maxMinutesPerRun; minute += MINUTE_US) {
      const { events, signals } = await deps.engine.judge(tracker, minute);
      // What fired, so that an operator can see why an incident opened, or why none did.
      if (signals.length > 0)
        deps.log?.(
          `minute ${isoFromMicros(minute).slice(11, 16)}: ${signals
            .slice(0, 8)
            .map((x) => `${x.kind} ${x.target.key} ${x.strength.toFixed(1)}`)
            .join('; ')}${signals.length > 8 ? ` and ${signals.length - 8} more` : ''}`,
        );
      for (const e of events) await deps.store.upsert(e.incident);
      for (const e of events) await tell(deps, o, state, e, minute, result);
      applied += await applyActions(deps, o, state, tracker, result, applied);
      state.tracker = tracker.toJSON();
      await deps.store.saveState(state);
      await deps.judged?.(minute);
      result.minutes++;
      result.through = isoFromMicros(minute);
    }
    if (result.minutes === 0) {
      state.tracker = tracker.toJSON();
      await deps.store.saveState(state);
    }
    // Dropped once the state that holds their effect is saved: a crash before replays them, harmlessly.
    await deps.store.dropActions(applied);
    return applied > 0 ? { ...result, actions: applied } : result;
  } finally {
    await deps.store.unlock(token);
  }
}
