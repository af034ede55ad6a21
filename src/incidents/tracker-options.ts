/** When the incident tracker opens and resolves an incident, and how much of it it keeps. */
export interface TrackerOptions {
  /** A suspect opens an incident once its signals fired in this many of the last `openWindow` minutes... */
  openMinutes: number;
  openWindow: number;
  /** ...or at once with a signal this strong. */
  strongSignal: number;
  /** An incident resolves after this many minutes without a signal of its suspect. */
  quietMinutes: number;
  /** Trace ids kept per incident (the count goes on). */
  maxTraceIds: number;
}

export const DEFAULT_TRACKER_OPTIONS: Readonly<TrackerOptions> = Object.freeze({
  openMinutes: 2,
  openWindow: 3,
  strongSignal: 3,
  quietMinutes: 5,
  maxTraceIds: 200,
});
