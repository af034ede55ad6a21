import type { BaselineModel } from '../detectors/baseline/model.js';
import { extractProfile } from '../features/profile.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import type { Trace } from '../trace/trace.js';
import { Aggregates, type MinuteBucket } from './aggregates.js';
import type { Incident } from './incident.js';
import { entryLoadFirst, rankServices, toRootCauses } from './rca.js';
import { ShiftEvidence } from './shift-evidence.js';
import { MINUTE_US, minuteOf, type Signal } from './signal.js';
import { IncidentTracker, type MinuteAnomaly, type TrackerOptions } from './tracker.js';

/** Minutes of evidence before an incident that say what was usual lately. */
export const REFERENCE_MINUTES = 60;

/** Signals of every minute of the buckets, each judged against the history before it (see signals.ts). */
export type SignalSource = (buckets: readonly MinuteBucket[]) => Signal[];

/**
 * Incidents over a recorded stretch of traffic (the `incidents` command, the evaluation): every scored trace
 * is added, then the minutes are replayed in order through the same tracker and ranking the service runs
 * minute by minute. Memory is per minute (aggregates, evidence, the flagged traces), not per trace.
 */
export class IncidentRun {
  readonly aggregates = new Aggregates();
  private readonly evidence = new Map<number, ShiftEvidence>();
  private readonly anomalies = new Map<number, MinuteAnomaly[]>();

  constructor(private readonly baseline: BaselineModel) {}

  add(trace: Trace, scored: ScoredTrace): void {
    const minute = minuteOf(trace.start);
    this.aggregates.add(trace, scored);
    let ev = this.evidence.get(minute);
    if (ev === undefined) this.evidence.set(minute, (ev = new ShiftEvidence()));
    ev.add(trace, extractProfile(trace), scored, this.baseline);
    if (!scored.anomalous) return;
    let list = this.anomalies.get(minute);
    if (list === undefined) this.anomalies.set(minute, (list = []));
    list.push({
      traceId: scored.traceId,
      score: scored.score,
      endpoint: `${scored.service}:${scored.operation}`,
      suspect: scored.rootCauses[0]?.service,
    });
  }

  /** The evidence of [from, to) merged, and the per-minute evidence of the reference before `from`. */
  window(from: number, to: number): { window: ShiftEvidence; reference: ShiftEvidence[] } {
    const window = new ShiftEvidence();
    const reference: ShiftEvidence[] = [];
    for (const [m, ev] of this.evidence) {
      if (m >= from && m < to) window.merge(ev);
      else if (m < from && m >= from - REFERENCE_MINUTES * MINUTE_US) reference.push(ev);
    }
    return { window, reference };
  }

  /** Service call graph of the reference hour up to minute m (from the evidence, which records it). */
  private callsAround(m: number): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const [k, ev] of this.evidence) {
      if (k > m || k < m - REFERENCE_MINUTES * MINUTE_US) continue;
      for (const [caller, callees] of ev.calls) {
        let set = out.get(caller);
        if (set === undefined) out.set(caller, (set = new Set()));
        for (const c of callees) set.add(c);
      }
    }
    return out;
  }

  /** Replays the minutes through a tracker; returns each incident in its last state, by start time. */
  incidents(signals: SignalSource, options?: TrackerOptions): Incident[] {
    const tracker = new IncidentTracker(options);
    const last = new Map<string, Incident>();
    const rank = (_suspect: string, start: number, end: number, sigs: readonly Signal[]) => {
      const { window, reference } = this.window(start, end);
      return entryLoadFirst(toRootCauses(rankServices(window, reference)), sigs);
    };
    const minutes = [...new Set([...this.evidence.keys(), ...this.aggregates.minutes()])].sort(
      (a, b) => a - b,
    );
    if (minutes.length === 0) return [];
    const byMinute = new Map<number, Signal[]>();
    for (const sig of signals(this.aggregates.buckets())) {
      let list = byMinute.get(sig.minute);
      if (list === undefined) byMinute.set(sig.minute, (list = []));
      list.push(sig);
    }
    // Replay every minute, empty ones included, so that quiet minutes count toward resolving.
    for (let m = minutes[0]; m <= minutes[minutes.length - 1]; m += MINUTE_US)
      for (const e of tracker.observe(
        m,
        byMinute.get(m) ?? [],
        this.anomalies.get(m) ?? [],
        rank,
        this.callsAround(m),
      ))
        last.set(e.incident.id, e.incident);
    for (const e of tracker.flush()) last.set(e.incident.id, e.incident);
    return [...last.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }
}
