/**
 * Which span times can be trusted. A start far from now (epoch 0, year 9999, 1e26 ns) or a span lasting
 * longer than a day is a broken clock or a broken exporter, not a slow request: taken as it is, it breaks
 * date arithmetic downstream (a Date beyond ±8.64e15 ms throws) or poisons per-minute aggregates.
 * Pure: the caller says what "now" is.
 */
import { isoFromMicros } from './iso-time.js';

/** The largest |ms| a JS Date holds; in µs. */
export const DATE_LIMIT_US = 8.64e15 * 1000;
export const DAY_US = 86_400_000_000;

export interface TimeWindow {
  /** Earliest and latest acceptable start, µs since the epoch. */
  fromUs: number;
  toUs: number;
  /** Longest acceptable duration, µs. */
  maxDurationUs: number;
}

/** Why a time cannot be trusted; one short code per reason, used as a metric label. */
export type TimeReason = 'time_unreadable' | 'time_out_of_window' | 'duration_too_long';

/** What any reader accepts: a start a Date can hold, a duration under the same bound. */
export const ANY_TIME: TimeWindow = { fromUs: 0, toUs: DATE_LIMIT_US, maxDurationUs: DATE_LIMIT_US };

/** Pushed or scored traffic: started within `pastS` before now and `futureS` after (clock drift), under a day. */
export function windowAround(nowMs: number, pastS = 7 * 86_400, futureS = 3_600): TimeWindow {
  return {
    fromUs: (nowMs - pastS * 1000) * 1000,
    toUs: (nowMs + futureS * 1000) * 1000,
    maxDurationUs: DAY_US,
  };
}

/** A reason and a sentence when the span's start or duration is outside the window; undefined when fine. */
export function timeProblem(
  start: number | undefined,
  duration: number | undefined,
  w: TimeWindow,
): { reason: TimeReason; message: string } | undefined {
  if (start !== undefined) {
    if (!Number.isFinite(start))
      return { reason: 'time_unreadable', message: `start ${start} is not a number` };
    if (start < w.fromUs || start > w.toUs)
      return {
        reason: 'time_out_of_window',
        message: `start ${describeUs(start)} is outside ${describeUs(w.fromUs)} .. ${describeUs(w.toUs)}`,
      };
  }
  if (duration !== undefined) {
    if (!Number.isFinite(duration))
      return { reason: 'time_unreadable', message: `duration ${duration} is not a number` };
    if (duration > w.maxDurationUs)
      return {
        reason: 'duration_too_long',
        message: `duration ${Math.round(duration / 1e6)} s is over the ${Math.round(w.maxDurationUs / 1e6)} s limit`,
      };
  }
  return undefined;
}

/** An ISO date when a Date can hold it, else the raw µs. */
function describeUs(us: number): string {
  return Math.abs(us) <= DATE_LIMIT_US ? isoFromMicros(us) : `${us} µs`;
}
