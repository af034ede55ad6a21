import type { AggregateHistory, MinuteBucket } from '../traffic/minute-buckets.js';
import type { IncidentEvent, IncidentRootCause } from './incident.js';
import { rankServices } from './window-causes.js';
import { entryLoadFirst, suspectFirst, toRootCauses } from './incident-causes.js';
import {
  DEFAULT_SERVICE_SIGNAL_OPTIONS,
  detectServiceSignals,
  type ServiceSignalOptions,
} from './service-signals.js';
import { ShiftEvidence } from './shift-evidence.js';
import { MINUTE_US } from '../traffic/minute.js';
import type { Signal } from './signal.js';
import { detectSignals } from './history-signals.js';
import type { IncidentTracker, MinuteAnomaly, MinuteExamples } from './tracker.js';
import { microsFromIso } from '../trace/iso-time.js';

/** Minutes of evidence before an incident that say what was usual lately. */
export const REFERENCE_MINUTES = 60;

/** What the incident layer reads of one minute: the shift evidence and the traces flagged in it. */
export interface MinuteEvidence {
  evidence: ShiftEvidence;
  anomalies: MinuteAnomaly[];
}

/**
 * Where the per-minute inputs come from: memory for the CLI (`tracehound incidents`), Redis for the service.
 * Ranges are µs, minute-aligned, both ends included; minutes without traffic are simply absent.
 */
export interface MinuteSource extends AggregateHistory {
  evidence(from: number, to: number): Promise<Map<number, MinuteEvidence>>;
}

export interface JudgedMinute {
  events: IncidentEvent[];
  signals: Signal[];
}

/** A window of minutes read from the source once and slid forward (most minutes are read many times). */
class MinuteCache<T> {
  private readonly held = new Map<number, T | null>();

  constructor(private readonly load: (from: number, to: number) => Promise<Map<number, T>>) {}

  async cover(from: number, to: number): Promise<void> {
    for (const m of this.held.keys()) if (m < from) this.held.delete(m);
    let first: number | undefined;
    for (let m = from; m <= to; m += MINUTE_US)
      if (!this.held.has(m)) {
        first = m;
        break;
      }
    if (first === undefined) return;
    const got = await this.load(first, to);
    for (let m = first; m <= to; m += MINUTE_US) if (!this.held.has(m)) this.held.set(m, got.get(m) ?? null);
  }

  get(minute: number): T | undefined {
    return this.held.get(minute) ?? undefined;
  }

  /** Held minutes in [from, to], with their values. */
  *range(from: number, to: number): Iterable<[number, T]> {
    for (const [m, v] of this.held) if (v !== null && m >= from && m <= to) yield [m, v];
  }
}

/**
 * The incident loop, one minute at a time, the same for the CLI and the service: the minute's signals
 * (endpoints and edges against their recent history, services and hops against the model and their
 * history), its flagged traces, the tracker's grouping, and each changed incident's root causes ranked over
 * its window against the hour before it.
 */
export class IncidentEngine {
  private readonly evidence: MinuteCache<MinuteEvidence>;
  private readonly buckets: MinuteCache<MinuteBucket>;
  private readonly o: ServiceSignalOptions;

  constructor(source: MinuteSource, options: Partial<ServiceSignalOptions> = {}) {
    this.o = { ...DEFAULT_SERVICE_SIGNAL_OPTIONS, ...options };
    this.evidence = new MinuteCache((from, to) => source.evidence(from, to));
    this.buckets = new MinuteCache(async (from, to) => {
      const out = new Map<number, MinuteBucket>();
      for (const b of await source.buckets(from, to)) out.set(b.minute, b);
      return out;
    });
  }

  /**
   * Judges one closed minute (µs, minute-aligned, after the last one the tracker observed). The engine keeps
   * the minutes it read between calls; the tracker is the caller's (the service reloads it every run).
   */
  async judge(tracker: IncidentTracker, minute: number): Promise<JudgedMinute> {
    const history = minute - this.o.historyMinutes * MINUTE_US;
    // Ranking reads each open (or about to open) incident's window and the reference hour before it.
    let from = Math.min(history, minute - (tracker.options.openWindow + REFERENCE_MINUTES) * MINUTE_US);
    for (const i of tracker.openIncidents())
      from = Math.min(from, microsFromIso(i.start) - REFERENCE_MINUTES * MINUTE_US);
    for (const m of tracker.pendingMinutes()) from = Math.min(from, m - REFERENCE_MINUTES * MINUTE_US);
    await Promise.all([this.evidence.cover(from, minute), this.buckets.cover(history, minute)]);
    const buckets = [...this.buckets.range(history, minute)].map(([, b]) => b);
    const evidence = [...this.evidence.range(history, minute)].map(([m, e]) => ({
      minute: m,
      evidence: e.evidence,
    }));
    const signals = [
      ...detectSignals(buckets, this.o, minute),
      ...detectServiceSignals(
        evidence,
        this.o,
        minute,
        new Map(tracker.openIncidents().map((i) => [tracker.suspectOf(i.id) ?? '', microsFromIso(i.start)])),
      ),
    ];
    const current = this.evidence.get(minute);
    // The tracker may rank several candidates over the same window in one minute.
    const windows = new Map<string, IncidentRootCause[]>();
    const events = tracker.observe(
      minute,
      signals,
      current?.anomalies ?? [],
      (suspect, start, end, sigs) => {
        let causes = windows.get(`${start}|${end}`);
        if (causes === undefined) windows.set(`${start}|${end}`, (causes = this.rankWindow(start, end)));
        return suspectFirst(suspect, entryLoadFirst(causes, sigs), sigs);
      },
      this.callsAround(minute),
      (current?.evidence.examples ?? new Map()) as MinuteExamples,
    );
    return { events, signals };
  }

  /** Root causes of [start, end) against the reference hour before it, from the evidence alone. */
  private rankWindow(start: number, end: number): IncidentRootCause[] {
    const window = new ShiftEvidence();
    for (const [, e] of this.evidence.range(start, end - 1)) window.merge(e.evidence);
    const reference = [...this.evidence.range(start - REFERENCE_MINUTES * MINUTE_US, start - 1)].map(
      ([, e]) => e.evidence,
    );
    return toRootCauses(rankServices(window, reference));
  }

  /** Caller service -> callee services over the reference hour up to `minute`, as the evidence recorded it. */
  private callsAround(minute: number): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const [, e] of this.evidence.range(minute - REFERENCE_MINUTES * MINUTE_US, minute))
      for (const [caller, callees] of e.evidence.calls) {
        let set = out.get(caller);
        if (set === undefined) out.set(caller, (set = new Set()));
        for (const c of callees) set.add(c);
      }
    return out;
  }
}
