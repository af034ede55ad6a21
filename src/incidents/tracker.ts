import type { Incident, IncidentEvent, IncidentRootCause } from './incident.js';
import { MINUTE_US, type Signal } from './signal.js';

/**
 * Turns a stream of per-minute signals into incidents: opened when a suspect keeps firing, updated while it
 * lasts, resolved after a quiet spell (hysteresis both ways, so one noisy minute neither pages nor ends a
 * page). Pure and serialisable: the service keeps its state in Redis between minutes, the CLI runs it over
 * the minutes of a file.
 *
 * Grouping is by suspect: the service a signal most likely comes from. One fault seen from many endpoints
 * has one suspect, so it is one incident; concurrent faults in different places have different suspects,
 * so they are different incidents. An endpoint signal's suspect is the service its flagged traces blame
 * most in that minute (their first root causes), else the endpoint's own service; an edge signal's suspect
 * is the callee, where the edge's errors and latency are felt first.
 */

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

/** A flagged trace of the minute, with what it blames first. */
export interface MinuteAnomaly {
  traceId: string;
  score: number;
  endpoint: string;
  /** First root cause's service, when the trace has one. */
  suspect?: string;
}

/** Ranks an incident's root causes over its window; the tracker calls it whenever the incident changes. */
export type RootCauseRanker = (
  suspect: string,
  start: number,
  end: number,
  /** The signals the incident has gathered so far (traffic on an entry point can be the cause itself). */
  signals: readonly Signal[],
) => IncidentRootCause[];

/** A suspect among an open incident's first root causes joins that incident. */
const ALIAS_DEPTH = 3;

function downstream(from: string, calls: ReadonlyMap<string, ReadonlySet<string>>): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0)
    for (const c of calls.get(todo.pop()!) ?? [])
      if (!seen.has(c)) {
        seen.add(c);
        todo.push(c);
      }
  return seen;
}

const strength = (signals: readonly Signal[]) => signals.reduce((a, s) => a + s.strength, 0);

interface Tracked {
  incident: Incident;
  suspect: string;
  /** Suspects folded into this incident (its own first). */
  aliases: Set<string>;
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
  recent?: [number, MinuteAnomaly[]][];
  lastMinute: number | null;
  seq: number;
}

const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString();
const signalKey = (s: Signal) => `${s.kind}|${s.target.type}|${s.target.key}`;
const serviceOfEndpoint = (key: string) => key.slice(0, key.indexOf(':') < 0 ? key.length : key.indexOf(':'));

/**
 * The service a signal most likely comes from. An edge's errors and latency are the callee's; an endpoint's
 * anomalies are whatever its flagged traces blame. An edge's anomaly rate says only that flagged traces pass
 * through it, so it is blamed like the minute's flagged traces as a whole.
 */
export function suspectOf(signal: Signal, anomalies: readonly MinuteAnomaly[]): string {
  const { type, key } = signal.target;
  if (type === 'edge' && signal.kind !== 'anomaly-rate')
    return serviceOfEndpoint(key.slice(key.indexOf('->') + 2));
  const votes = new Map<string, number>();
  for (const a of anomalies)
    if ((type === 'edge' || a.endpoint === key) && a.suspect !== undefined)
      votes.set(a.suspect, (votes.get(a.suspect) ?? 0) + a.score);
  let best: string | undefined;
  let bestVotes = 0;
  for (const [s, v] of votes)
    if (v > bestVotes || (v === bestVotes && best !== undefined && s < best)) {
      best = s;
      bestVotes = v;
    }
  return best ?? serviceOfEndpoint(type === 'edge' ? key.slice(key.indexOf('->') + 2) : key);
}

export class IncidentTracker {
  private readonly open = new Map<string, Tracked>();
  private readonly pending = new Map<string, number[]>();
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

  /**
   * Feeds one closed minute (µs, minute-aligned, increasing). Returns the events it caused, in order.
   * `rank` is asked for root causes of every incident opened or changed.
   */
  observe(
    minute: number,
    signals: readonly Signal[],
    anomalies: readonly MinuteAnomaly[],
    rank: RootCauseRanker,
    /** Caller service -> callee services seen lately: a suspect upstream of an incident's suspect joins it. */
    calls: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
  ): IncidentEvent[] {
    if (this.lastMinute !== null && minute <= this.lastMinute)
      throw new Error(`minute ${iso(minute)} is not after the last one observed (${iso(this.lastMinute)})`);
    this.lastMinute = minute;
    const events: IncidentEvent[] = [];
    const bySuspect = new Map<string, Signal[]>();
    for (const s of signals) {
      const who = suspectOf(s, anomalies);
      let g = bySuspect.get(who);
      if (g === undefined) bySuspect.set(who, (g = []));
      g.push(s);
    }
    const changed = new Set<Tracked>();
    // Strongest suspects first, so weaker echoes of one fault join the incident the strongest opened.
    const groups = [...bySuspect].sort((a, b) => strength(b[1]) - strength(a[1]) || (a[0] < b[0] ? -1 : 1));
    for (const [suspect, group] of groups) {
      let t = this.find(suspect, calls);
      if (t === undefined) {
        const fired = (this.pending.get(suspect) ?? []).filter(
          (m) => m > minute - this.options.openWindow * MINUTE_US,
        );
        fired.push(minute);
        this.pending.set(suspect, fired);
        const strong = group.some((s) => s.strength >= this.options.strongSignal);
        if (fired.length < this.options.openMinutes && !strong) continue;
        this.pending.delete(suspect);
        t = this.start(suspect, Math.min(...fired));
        this.open.set(suspect, t);
        // Ranked at once, so that later suspects of this minute can recognise it as theirs.
        t.incident = {
          ...t.incident,
          rootCauses: rank(suspect, Math.min(...fired), minute + MINUTE_US, group),
        };
      }
      t.lastSignal = minute;
      for (const s of group) {
        const k = signalKey(s);
        const had = t.signals.get(k);
        if (had === undefined || s.strength > had.strength) t.signals.set(k, s);
        if (s.target.type === 'endpoint') t.endpoints.add(s.target.key);
      }
      changed.add(t);
    }
    // The minutes before an incident opened (it waits for a second one) hold its first flagged traces too.
    this.recent.push([minute, [...anomalies]]);
    while (this.recent.length > 0 && this.recent[0][0] <= minute - this.options.openWindow * MINUTE_US)
      this.recent.shift();
    for (const t of this.open.values())
      for (const [m, list] of this.recent) {
        if (m < Date.parse(t.incident.start) * 1000) continue;
        for (const a of list)
          if ((t.aliases.has(a.suspect ?? '') || t.endpoints.has(a.endpoint)) && !t.traces.has(a.traceId)) {
            t.traces.set(a.traceId, a.score);
            t.endpoints.add(a.endpoint);
            changed.add(t);
          }
      }
    for (const t of changed) {
      const first = t.incident.revision < 0;
      this.refresh(t, minute + MINUTE_US, rank);
      events.push({ type: first ? 'incident.opened' : 'incident.updated', incident: t.incident });
    }
    for (const [suspect, t] of this.open) {
      if (minute - t.lastSignal < this.options.quietMinutes * MINUTE_US) continue;
      this.open.delete(suspect);
      t.incident = {
        ...t.incident,
        status: 'resolved',
        end: iso(t.lastSignal + MINUTE_US),
        resolvedAt: iso(minute + MINUTE_US),
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
        end: iso(t.lastSignal + MINUTE_US),
        resolvedAt: iso(t.lastSignal + MINUTE_US),
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
   * The open incident a suspect belongs to: its own, or one whose leading root causes name it (a fault seen
   * through several endpoints can have each endpoint's traces blame a different hop of the same chain).
   */
  private find(suspect: string, calls: ReadonlyMap<string, ReadonlySet<string>>): Tracked | undefined {
    const own = this.open.get(suspect);
    if (own !== undefined) return own;
    for (const t of this.open.values()) {
      if (t.aliases.has(suspect)) return t;
      if (t.incident.rootCauses.slice(0, ALIAS_DEPTH).some((c) => c.service === suspect)) {
        t.aliases.add(suspect);
        return t;
      }
    }
    // A caller waiting on an incident's service shows the same fault one hop up.
    const below = downstream(suspect, calls);
    for (const t of this.open.values())
      for (const a of t.aliases)
        if (below.has(a)) {
          t.aliases.add(suspect);
          return t;
        }
    return undefined;
  }

  private start(suspect: string, firstMinute: number): Tracked {
    this.seq++;
    return {
      suspect,
      aliases: new Set([suspect]),
      lastSignal: firstMinute,
      signals: new Map(),
      traces: new Map(),
      endpoints: new Set(),
      incident: {
        id: `${this.idPrefix}${this.seq}`,
        status: 'open',
        start: iso(firstMinute),
        end: iso(firstMinute + MINUTE_US),
        endpoints: [],
        signals: [],
        traceIds: [],
        traceCount: 0,
        rootCauses: [],
        revision: -1,
      },
    };
  }

  private refresh(t: Tracked, now: number, rank: RootCauseRanker): void {
    const start = Date.parse(t.incident.start) * 1000;
    const ids = [...t.traces].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    t.incident = {
      ...t.incident,
      end: iso(now),
      endpoints: [...t.endpoints].sort(),
      signals: [...t.signals.values()].sort((a, b) => b.strength - a.strength),
      traceIds: ids.slice(0, this.options.maxTraceIds).map(([id]) => id),
      traceCount: ids.length,
      rootCauses: rank(t.suspect, start, now, [...t.signals.values()]),
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
