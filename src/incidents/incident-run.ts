import type { BaselineModel } from '../detectors/baseline/model.js';
import { extractProfile, type TraceProfile } from '../features/profile.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import type { Trace } from '../trace/trace.js';
import { Aggregates } from '../traffic/minute-buckets.js';
import type { Incident } from './incident.js';
import {
  IncidentEngine,
  REFERENCE_MINUTES,
  type JudgedMinute,
  type MinuteEvidence,
  type MinuteSource,
} from './incident-engine.js';
import type { ServiceSignalOptions } from './service-signals.js';
import { ShiftEvidence } from './shift-evidence.js';
import { MINUTE_US, minuteOf } from '../traffic/minute.js';
import { IncidentTracker } from './tracker.js';
import type { TrackerOptions } from './tracker-options.js';
import { endpointKey } from '../trace/endpoint-key.js';

/**
 * Incidents over a recorded stretch of traffic (the `incidents` command, the evaluation): every scored trace
 * is added, then the minutes are replayed in order through the same engine the service runs minute by
 * minute. Memory is per minute (aggregates, evidence, the flagged traces), not per trace.
 */
export class IncidentRun {
  readonly aggregates = new Aggregates();
  private readonly minutes = new Map<number, MinuteEvidence>();

  constructor(private readonly baseline: BaselineModel) {}

  add(trace: Trace, scored: ScoredTrace, profile: TraceProfile = extractProfile(trace)): void {
    const minute = minuteOf(trace.start);
    this.aggregates.add(trace, scored);
    let m = this.minutes.get(minute);
    if (m === undefined) this.minutes.set(minute, (m = { evidence: new ShiftEvidence(), anomalies: [] }));
    m.evidence.add(trace, profile, scored, this.baseline);
    if (!scored.anomalous) return;
    m.anomalies.push({
      traceId: scored.traceId,
      score: scored.score,
      endpoint: endpointKey(scored.service, scored.operation),
      suspect: scored.rootCauses[0]?.service,
    });
  }

  /** The evidence of [from, to) merged, and the per-minute evidence of the reference before `from`. */
  window(from: number, to: number): { window: ShiftEvidence; reference: ShiftEvidence[] } {
    const window = new ShiftEvidence();
    const reference: ShiftEvidence[] = [];
    for (const [m, e] of this.minutes) {
      if (m >= from && m < to) window.merge(e.evidence);
      else if (m < from && m >= from - REFERENCE_MINUTES * MINUTE_US) reference.push(e.evidence);
    }
    return { window, reference };
  }

  private source(): MinuteSource {
    return {
      evidence: async (from, to) => {
        const out = new Map<number, MinuteEvidence>();
        for (const [m, e] of this.minutes) if (m >= from && m <= to) out.set(m, e);
        return out;
      },
      buckets: async (from, to) => this.aggregates.buckets(from, to),
    };
  }

  /** Replays the minutes through the engine; returns each incident in its last state, by start time. */
  async incidents(
    options: {
      tracker?: TrackerOptions;
      signals?: Partial<ServiceSignalOptions>;
      /** Told every minute's signals and events (the evaluation's diagnostics). */
      onMinute?: (minute: number, judged: JudgedMinute) => void;
    } = {},
  ): Promise<Incident[]> {
    const tracker = new IncidentTracker(options.tracker);
    const engine = new IncidentEngine(this.source(), options.signals);
    const last = new Map<string, Incident>();
    const minutes = [...new Set([...this.minutes.keys(), ...this.aggregates.minutes()])].sort(
      (a, b) => a - b,
    );
    if (minutes.length === 0) return [];
    // Every minute, empty ones included, so that quiet minutes count toward resolving.
    for (let m = minutes[0]; m <= minutes[minutes.length - 1]; m += MINUTE_US) {
      const judged = await engine.judge(tracker, m);
      options.onMinute?.(m, judged);
      for (const e of judged.events) last.set(e.incident.id, e.incident);
    }
    for (const e of tracker.flush()) last.set(e.incident.id, e.incident);
    return [...last.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }
}
