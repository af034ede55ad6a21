import type { Incident, IncidentAction, IncidentEvent, IncidentRootCause } from './incident.js';
import { MINUTE_US } from '../traffic/minute.js';
import type { Signal } from './signal.js';
import { downstream, groupBySuspect, isOwnEvidence, strength, type MinuteAnomaly } from './suspects.js';
import { isoFromMicros, microsFromIso } from '../trace/iso-time.js';
import { DEFAULT_TRACKER_OPTIONS, type TrackerOptions } from './tracker-options.js';

export { suspectOf, type MinuteAnomaly } from './suspects.js';

/**
 * Turns a stream of per-minute signals into incidents: opened when a suspect keeps firing, updated while it
 * lasts, resolved after a quiet spell (hysteresis both ways, so one noisy minute neither pages nor ends a
 * page). Pure and serialisable: the service keeps its state in Redis between minutes, the CLI runs it over
 * the minutes of a file.
 *
 * One fault, one incident. Signals are grouped by suspect, the service each most likely comes from: service
 * and hop signals name it themselves (their spans were judged there); an edge's errors and latency are the
 * callee's; an endpoint's signals go to the service its flagged traces blame most. Two suspects are two
 * incidents, also when they overlap in time or follow each other within minutes, unless one explains the
 * other. The rule for that (see `explains`): a suspect whose signals are all consequences (an endpoint
 * slower or failing more, calls skipped or ended early, flagged traces) is explained by a suspect it calls,
 * directly or through others, that fires with signals of its own (spans slower in its own code, errors
 * starting there, calls into it waiting longer) in the same minutes. A suspect with evidence of its own is
 * never folded, whoever it calls: being upstream is not being explained. And when an incident's suspect
 * has gone quiet, a new suspect upstream of it is a new fault, not an echo.
 */

/** Traces whose spans deviated at a service in the minute, with the endpoint each served (see ShiftEvidence). */
export type MinuteExamples = ReadonlyMap<string, readonly (readonly [string, number, string?])[]>;

/** Ranks an incident's root causes over its window; the tracker calls it whenever the incident changes. */
export type RootCauseRanker = (
  suspect: string,
  start: number,
  end: number,
  /** The signals the incident has gathered so far (traffic on an entry point can be the cause itself). */
  signals: readonly Signal[],
) => IncidentRootCause[];

interface Tracked {
  incident: Incident;
  suspect: string;
  /** Suspects whose signals were folded into this incident as consequences of it (its own first). */
  aliases: Set<string>;
  /** The last minute the suspect itself fired. */
  lastSignal: number;
  /** Strongest signal per kind and target. */
  signals: Map<string, Signal>;
  traces: Map<string, number>;
  endpoints: Set<string>;
}

export interface TrackerState {
  options: TrackerOptions;
  open: {
    incident: Incident;
    suspect: string;
    aliases: string[];
    lastSignal: number;
    traces: [string, number][];
  }[];
  /** Minutes each candidate suspect fired in recently. */
  pending: [string, number[]][];
  /** Suspects of manually resolved incidents -> µs: minutes that start before it open nothing for them. */
  muted?: [string, number][];
  recent?: [number, MinuteAnomaly[]][];
  lastMinute: number | null;
  seq: number;
}

/** Whether a signal judged over its last `windowMinutes` minutes counted `minute`. */
const windowHolds = (s: Signal, minute: number) =>
  minute <= s.minute && minute > s.minute - (s.windowMinutes ?? 1) * MINUTE_US;
const signalKey = (s: Signal) => `${s.kind}|${s.target.type}|${s.target.key}`;

export class IncidentTracker {
  private readonly open = new Map<string, Tracked>();
  private readonly pending = new Map<string, number[]>();
  private readonly muted = new Map<string, number>();
  /** Flagged traces of the last `openWindow` minutes, oldest first. */
  private recent: [number, MinuteAnomaly[]][] = [];
  private lastMinute: number | null = null;
  private seq = 0;

  constructor(
    readonly options: TrackerOptions = { ...DEFAULT_TRACKER_OPTIONS },
    /** Incident ids are `${idPrefix}${n}`; the service uses a time-based prefix so ids stay unique across restarts. */
    private readonly idPrefix = 'inc-',
  ) {}

  openIncidents(): Incident[] {
    return [...this.open.values()].map((t) => t.incident);
  }

  /** The suspect an open incident groups by. */
  suspectOf(incidentId: string): string | undefined {
    for (const t of this.open.values()) if (t.incident.id === incidentId) return t.suspect;
    return undefined;
  }

  /** Minutes suspects not yet opened fired in (their first minutes become an incident's start). */
  pendingMinutes(): number[] {
    return [...this.pending.values()].flat();
  }

  /**
   * Feeds one closed minute (µs, minute-aligned, increasing). Returns the events it caused, in order.
   * `rank` is asked for root causes of every incident opened or changed. `examples` are traces whose spans
   * deviated at a service this minute (the evidence of service signals), for incidents no flagged trace
   * blames.
   */
  observe(
    minute: number,
    signals: readonly Signal[],
    anomalies: readonly MinuteAnomaly[],
    rank: RootCauseRanker,
    /** Caller service -> callee services seen lately: who can explain whose consequences. */
    calls: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
    examples: MinuteExamples = new Map(),
  ): IncidentEvent[] {
    if (this.lastMinute !== null && minute <= this.lastMinute)
      throw new Error(
        `minute ${isoFromMicros(minute)} is not after the last one observed (${isoFromMicros(this.lastMinute)})`,
      );
    this.lastMinute = minute;
    for (const [suspect, until] of this.muted) if (minute >= until) this.muted.delete(suspect);
    const events: IncidentEvent[] = [];
    const changed = new Set<Tracked>();
    const groups = [
      ...this.locate(groupBySuspect(signals, anomalies, calls, new Set(this.open.keys())), minute, rank),
    ]
      // A person resolved this suspect's incident: the minutes they had seen (judged later, behind the
      // clock) are what they resolved, and must not open it again.
      .filter(([suspect]) => !this.muted.has(suspect))
      .sort((a, b) => strength(b[1]) - strength(a[1]) || (a[0] < b[0] ? -1 : 1));
    // Incidents whose own suspect fires this minute: only these can explain consequences upstream of them.
    const firing = new Set(groups.map(([s]) => s));
    for (const [suspect, group] of groups) {
      let t = this.find(suspect, group, firing, calls);
      if (t === undefined) {
        // A quiet target judged on its last few minutes together fired in each of them, when the evidence is
        // its own; consequences (a quiet endpoint slower, calls ended early) must fire minute after minute.
        const span = Math.max(1, ...group.filter(isOwnEvidence).map((s) => s.windowMinutes ?? 1));
        const fired = [
          ...new Set([
            ...(this.pending.get(suspect) ?? []),
            ...Array.from({ length: span }, (_, i) => minute - i * MINUTE_US),
          ]),
        ]
          .filter((m) => m > minute - this.options.openWindow * MINUTE_US)
          .sort((a, b) => a - b);
        this.pending.set(suspect, fired);
        const strong = group.some((s) => s.strength >= this.options.strongSignal);
        if (fired.length < this.options.openMinutes && !strong) continue;
        const candidate = this.start(suspect, Math.min(...fired), minute);
        this.collect(candidate, group, anomalies, examples, minute);
        // Nothing to show a person (no endpoint, no trace): not an incident, however loud the signal.
        if (candidate.endpoints.size === 0 || candidate.traces.size === 0) continue;
        this.pending.delete(suspect);
        t = candidate;
        this.seq++;
        t.incident = { ...t.incident, id: `${this.idPrefix}${this.seq}` };
        this.open.set(suspect, t);
      } else this.collect(t, group, anomalies, examples, minute);
      if (t.aliases.has(suspect) && suspect === t.suspect) t.lastSignal = minute;
      changed.add(t);
    }
    // The minutes before an incident opened (it waits for a second one) hold its first flagged traces too.
    this.recent.push([minute, [...anomalies]]);
    while (this.recent.length > 0 && this.recent[0][0] <= minute - this.options.openWindow * MINUTE_US)
      this.recent.shift();
    for (const t of this.open.values())
      for (const [m, list] of this.recent) {
        if (m < microsFromIso(t.incident.start)) continue;
        for (const a of list)
          if (a.suspect !== undefined && t.aliases.has(a.suspect) && !t.traces.has(a.traceId)) {
            t.traces.set(a.traceId, a.score);
            t.endpoints.add(a.endpoint);
            changed.add(t);
          }
      }
    for (const t of changed) {
      const first = t.incident.revision < 0;
      this.refresh(t, rank);
      events.push({ type: first ? 'incident.opened' : 'incident.updated', incident: t.incident });
    }
    for (const [suspect, t] of this.open) {
      if (minute - t.lastSignal < this.options.quietMinutes * MINUTE_US) continue;
      this.open.delete(suspect);
      t.incident = {
        ...t.incident,
        status: 'resolved',
        resolvedAt: isoFromMicros(minute + MINUTE_US),
        resolvedBy: 'auto',
        revision: t.incident.revision + 1,
      };
      events.push({ type: 'incident.resolved', incident: t.incident });
    }
    for (const [suspect, fired] of this.pending)
      if (fired[fired.length - 1] <= minute - this.options.openWindow * MINUTE_US)
        this.pending.delete(suspect);
    return events;
  }

  /** Resolves every open incident (end of a file, shutdown of an offline run). */
  flush(): IncidentEvent[] {
    const events: IncidentEvent[] = [];
    for (const t of this.open.values()) {
      t.incident = {
        ...t.incident,
        status: 'resolved',
        resolvedAt: t.incident.end,
        resolvedBy: 'auto',
        revision: t.incident.revision + 1,
      };
      events.push({ type: 'incident.resolved', incident: t.incident });
    }
    this.open.clear();
    this.pending.clear();
    this.recent = [];
    return events;
  }

  /**
   * A person took an open incident on: it goes on as before, and says so. Undefined when the tracker holds
   * no such open incident or it is acknowledged already (acknowledging twice changes nothing).
   */
  acknowledge(incidentId: string, a: IncidentAction): IncidentEvent | undefined {
    const t = this.tracked(incidentId);
    if (t === undefined || t.incident.acknowledgedAt !== undefined) return undefined;
    t.incident = {
      ...t.incident,
      acknowledgedAt: a.at,
      ...(a.by !== undefined && { acknowledgedBy: a.by }),
      ...(a.note !== undefined && { acknowledgeNote: a.note }),
      revision: t.incident.revision + 1,
    };
    return { type: 'incident.acknowledged', incident: t.incident };
  }

  /**
   * A person resolved an open incident. The minutes up to `a.at` are judged later (the job runs behind the
   * clock) and still show the fault they resolved, so its suspect and the suspects folded into it open
   * nothing in them; signals in later minutes open a new incident, with a new id. Undefined when the
   * tracker holds no such open incident.
   */
  resolve(incidentId: string, a: IncidentAction): IncidentEvent | undefined {
    const t = this.tracked(incidentId);
    if (t === undefined) return undefined;
    this.open.delete(t.suspect);
    const until = Date.parse(a.at) * 1000;
    for (const s of t.aliases) {
      this.pending.delete(s);
      if (this.lastMinute === null || until > this.lastMinute + MINUTE_US) this.muted.set(s, until);
    }
    t.incident = {
      ...t.incident,
      status: 'resolved',
      resolvedAt: a.at,
      resolvedBy: 'manual',
      ...(a.by !== undefined && { resolvedByName: a.by }),
      ...(a.note !== undefined && { resolveNote: a.note }),
      revision: t.incident.revision + 1,
    };
    return { type: 'incident.resolved', incident: t.incident };
  }

  private tracked(incidentId: string): Tracked | undefined {
    for (const t of this.open.values()) if (t.incident.id === incidentId) return t;
    return undefined;
  }

  /**
   * Consequences with no cause of their own in the minute (no suspect below them fires) are blamed where
   * the evidence of their window points: the first root cause the ranking finds over the minutes they have
   * been firing. A slow endpoint's flagged traces may blame whichever hop they saw waiting; the window's
   * shifts (self time, gaps, errors against the reference hour) say where the time went.
   */
  private locate(
    groups: Map<string, Signal[]>,
    minute: number,
    rank: RootCauseRanker,
  ): Map<string, Signal[]> {
    const out = new Map<string, Signal[]>();
    const put = (who: string, g: readonly Signal[]) => {
      const had = out.get(who);
      if (had === undefined) out.set(who, [...g]);
      else had.push(...g);
    };
    for (const [who, g] of groups) {
      if (this.open.has(who) || g.some(isOwnEvidence)) {
        put(who, g);
        continue;
      }
      const from = Math.min(minute, ...(this.pending.get(who) ?? []));
      const top = rank(who, from, minute + MINUTE_US, g)[0]?.service;
      put(top ?? who, g);
    }
    return out;
  }

  /**
   * The open incident a suspect's signals belong to: its own; or, when they are all consequences, an
   * incident whose suspect fires this minute below it (it calls that suspect, directly or not).
   */
  private find(
    suspect: string,
    group: readonly Signal[],
    firing: ReadonlySet<string>,
    calls: ReadonlyMap<string, ReadonlySet<string>>,
  ): Tracked | undefined {
    const own = this.open.get(suspect);
    if (own !== undefined) return own;
    if (group.some(isOwnEvidence)) return undefined;
    for (const t of this.open.values()) if (t.aliases.has(suspect) && firing.has(t.suspect)) return t;
    const below = downstream(suspect, calls);
    for (const t of this.open.values())
      if (firing.has(t.suspect) && below.has(t.suspect)) {
        t.aliases.add(suspect);
        return t;
      }
    // A symptom the incident already holds (the same kind on the same endpoint or edge), judged over a
    // window that reaches back into minutes its suspect fired in, is that fault's traffic still in the
    // window as the fault ends, whichever suspect the minute's few flagged traces happen to blame.
    for (const t of this.open.values())
      if (group.some((s) => t.signals.has(signalKey(s)) && windowHolds(s, t.lastSignal))) return t;
    return undefined;
  }

  /** Adds the group's signals, the flagged traces blaming the incident and, lacking those, example traces. */
  private collect(
    t: Tracked,
    group: readonly Signal[],
    anomalies: readonly MinuteAnomaly[],
    examples: MinuteExamples,
    minute: number,
  ): void {
    for (const s of group) {
      const k = signalKey(s);
      const had = t.signals.get(k);
      if (had === undefined || s.strength > had.strength) t.signals.set(k, s);
      if (s.target.type === 'endpoint') t.endpoints.add(s.target.key);
    }
    let flagged = 0;
    for (const a of anomalies)
      if (a.suspect !== undefined && t.aliases.has(a.suspect)) {
        flagged++;
        if (!t.traces.has(a.traceId)) t.traces.set(a.traceId, a.score);
        t.endpoints.add(a.endpoint);
      }
    // Service signals stand on many traces that each deviated a little: the most deviant ones show it.
    if (flagged === 0)
      for (const [id, w, endpoint] of examples.get(t.suspect) ?? []) {
        if (!t.traces.has(id)) t.traces.set(id, Math.min(w / 100, 0.5));
        if (endpoint !== undefined) t.endpoints.add(endpoint);
      }
    const end = minute + MINUTE_US;
    if (microsFromIso(t.incident.end) < end) t.incident = { ...t.incident, end: isoFromMicros(end) };
  }

  private start(suspect: string, firstMinute: number, openedIn: number): Tracked {
    return {
      suspect,
      aliases: new Set([suspect]),
      lastSignal: openedIn,
      signals: new Map(),
      traces: new Map(),
      endpoints: new Set(),
      incident: {
        id: '',
        status: 'open',
        start: isoFromMicros(firstMinute),
        end: isoFromMicros(firstMinute + MINUTE_US),
        openedAt: isoFromMicros(openedIn + MINUTE_US),
        endpoints: [],
        signals: [],
        traceIds: [],
        traceCount: 0,
        rootCauses: [],
        revision: -1,
      },
    };
  }

  private refresh(t: Tracked, rank: RootCauseRanker): void {
    const ids = [...t.traces].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const signals = [...t.signals.values()].sort((a, b) => b.strength - a.strength);
    t.incident = {
      ...t.incident,
      endpoints: [...t.endpoints].sort(),
      signals,
      traceIds: ids.slice(0, this.options.maxTraceIds).map(([id]) => id),
      traceCount: ids.length,
      rootCauses: rank(t.suspect, microsFromIso(t.incident.start), microsFromIso(t.incident.end), signals),
      revision: t.incident.revision + 1,
    };
  }

  toJSON(): TrackerState {
    return {
      options: this.options,
      open: [...this.open.values()].map((t) => ({
        incident: { ...t.incident, signals: [...t.signals.values()] },
        suspect: t.suspect,
        aliases: [...t.aliases],
        lastSignal: t.lastSignal,
        traces: [...t.traces],
      })),
      pending: [...this.pending],
      muted: [...this.muted],
      recent: this.recent,
      lastMinute: this.lastMinute,
      seq: this.seq,
    };
  }

  static fromJSON(s: TrackerState, idPrefix?: string): IncidentTracker {
    const tr = new IncidentTracker(s.options, idPrefix);
    tr.lastMinute = s.lastMinute;
    tr.seq = s.seq;
    for (const [k, v] of s.pending) tr.pending.set(k, [...v]);
    for (const [k, until] of s.muted ?? []) tr.muted.set(k, until);
    tr.recent = (s.recent ?? []).map(([m, list]) => [m, [...list]]);
    for (const o of s.open)
      tr.open.set(o.suspect, {
        incident: o.incident,
        suspect: o.suspect,
        aliases: new Set(o.aliases),
        lastSignal: o.lastSignal,
        signals: new Map(o.incident.signals.map((x) => [signalKey(x), x])),
        traces: new Map(o.traces),
        endpoints: new Set(o.incident.endpoints),
      });
    return tr;
  }
}
