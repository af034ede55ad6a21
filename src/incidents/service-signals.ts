import { rateTest, type ModelRate } from './rate-test.js';
import type { ShiftEvidence } from './shift-evidence.js';
import { MINUTE_US } from '../traffic/minute.js';
import type { Signal, SignalKind } from './signal.js';
import { DEFAULT_SIGNAL_OPTIONS, type SignalOptions } from './history-signals.js';

/**
 * Service signals: each service's own spans, and each service pair's hops, judged against the trained model
 * minute by minute. Where an endpoint signal says "this request path got worse" and leaves the culprit to a
 * vote of flagged traces, these say where: the spans whose own time grew, the errors that started there, the
 * answers that came back early, the calls skipped, the client-to-server gaps that grew. Counts are summed
 * over every endpoint a service serves, so a quiet service needs no busy endpoint of its own.
 *
 * Every count is "how many of the minute's spans were beyond their path's normal tail", so the model says
 * what normal is (5% beyond the 5th or 95th percentile; errors and structure as often as in training) even
 * when there is no history: a cold start, a restart, a file of fault minutes only. With history, the
 * target's own recent minutes are the reference and the model's rate a floor under it (see rateTest).
 */

export interface ServiceSignalOptions extends SignalOptions {
  /** Minute-to-minute overdispersion assumed when the model alone is the reference. */
  modelOverdispersion: number;
}

export const DEFAULT_SERVICE_SIGNAL_OPTIONS: ServiceSignalOptions = {
  ...DEFAULT_SIGNAL_OPTIONS,
  modelOverdispersion: 2,
};

/** Share of spans beyond a path's 5th or 95th percentile in the traffic the model was trained on. */
const TAIL = 0.05;

type Stat = 'slow' | 'pod' | 'early' | 'errors' | 'structure' | 'gap' | 'pair';

const KIND: Record<Stat, SignalKind> = {
  slow: 'latency-shift',
  pod: 'latency-shift',
  early: 'early-return',
  errors: 'error-rate',
  structure: 'structure-change',
  gap: 'gap-shift',
  pair: 'gap-shift',
};

/** One target's counts in one minute: k events among n, and the events the model expects among them. */
interface Count {
  k: number;
  n: number;
  expected: number;
}

/** Between a service and its instance in a `pod` target (neither name holds it). */
const POD = '\u0001';

/** Per minute: `${stat}|${target}` -> counts. Cached per evidence object (minutes are judged many times). */
const cache = new WeakMap<ShiftEvidence, Map<string, Count>>();

function add(m: Map<string, Count>, key: string, k: number, n: number, expected: number): void {
  const c = m.get(key);
  if (c === undefined) m.set(key, { k, n, expected });
  else {
    c.k += k;
    c.n += n;
    c.expected += expected;
  }
}

function countsOf(ev: ShiftEvidence): Map<string, Count> {
  let m = cache.get(ev);
  if (m !== undefined) return m;
  m = new Map();
  /** service -> instance -> its spans' counts, over the service's operations. */
  const pods = new Map<string, Map<string, Count>>();
  for (const o of ev.operations.values()) {
    add(m, `slow|${o.service}`, o.slow, o.tailJudged, TAIL * o.tailJudged);
    for (const [name, i] of Object.entries(o.instances)) {
      if (!i.tailJudged) continue;
      let byName = pods.get(o.service);
      if (byName === undefined) pods.set(o.service, (byName = new Map()));
      add(byName, name, i.slow ?? 0, i.tailJudged, TAIL * i.tailJudged);
    }
    add(m, `early|${o.service}`, o.early, o.entryJudged, TAIL * o.entryJudged);
    // Per call into the service, not per span (see OperationShift.errorCalls).
    add(m, `errors|${o.service}`, o.errorOrigins, o.errorCalls, o.errorExpected);
  }
  // One slow instance of several (a noisy neighbour, a bad node) is diluted in its service's share by the
  // healthy ones: a third of a service's pods twice as slow moved the service's share of slow spans from 5%
  // to about 23%, short of firing in most minutes (measured on the held-out system, whose such fault opened
  // no incident). Judged on its own, that instance is slow in most of its spans. A service with one instance
  // is its service signal already.
  for (const [service, byName] of pods)
    if (byName.size >= 2)
      for (const [name, c] of byName) add(m, `pod|${service}${POD}${name}`, c.k, c.n, c.expected);
  for (const [name, s] of ev.services)
    add(m, `structure|${name}`, s.structureObserved, s.traces, s.structureExpected);
  // Gaps are counted per server (every call into it) and per client (every call it makes): one slow pair
  // of a busy service pair says as much as many, and a quiet pair alone would need too many minutes.
  for (const h of ev.hops.values()) {
    const n = h.tailJudged ?? 0;
    if (n === 0) continue;
    add(m, `gap|*->${h.server}`, h.slow ?? 0, n, TAIL * n);
    add(m, `gap|${h.client}->*`, h.slow ?? 0, n, TAIL * n);
    add(m, `pair|${h.client}->${h.server}`, h.slow ?? 0, n, TAIL * n);
  }
  cache.set(ev, m);
  return m;
}

export interface EvidenceMinute {
  minute: number;
  evidence: ShiftEvidence;
}

/** The service a statistic's target stands for: a gap's server or client, whichever is not `*`. */
function serviceOf(stat: Stat, target: string): string {
  if (stat === 'pod') return target.slice(0, target.indexOf(POD));
  if (stat !== 'gap') return target;
  const [client, server] = target.split('->');
  return client === '*' ? server : client;
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

/** The sentence of each statistic: `what` of n, against p0 (from the model or the recent history). */
function sentence(stat: Stat, target: string, k: number, n: number, p0: number, ref: string): string {
  const r = pct(k / Math.max(n, 1));
  switch (stat) {
    case 'slow':
      return `${target}: ${k} of ${n} spans (${r}) took longer in their own code than 95% of normal ones (${pct(p0)} ${ref})`;
    case 'pod': {
      const [service, instance] = target.split(POD);
      return `${service}, instance ${instance}: ${k} of ${n} of its spans (${r}) took longer in their own code than 95% of normal ones (${pct(p0)} ${ref})`;
    }
    case 'early':
      return `${target}: ${k} of ${n} calls it answered (${r}) ended sooner than 95% of normal ones (${pct(p0)} ${ref}): calls returned or threw before doing their work`;
    case 'errors':
      return `${target}: ${k} of ${n} spans failed with no failing call below them (${r}; ${pct(p0)} ${ref})`;
    case 'structure':
      return `${target}: skipped usual calls or made new ones in ${k.toFixed(0)} of ${n} traces (${r}; ${pct(p0)} ${ref})`;
    case 'gap': {
      const [client, server] = target.split('->');
      const who = client === '*' ? `calls into ${server}` : `calls ${client} made`;
      return `${who}: ${k} of ${n} (${r}) spent longer between client and server than 95% of normal ones (${pct(p0)} ${ref})`;
    }
    case 'pair':
      return `calls ${target}: ${k} of ${n} (${r}) spent longer between client and server (${pct(p0)} ${ref})`;
  }
}

/**
 * Signals of minute `only` (or of every minute), each service and hop judged against the minutes before it.
 * `minutes` must hold the history (the `historyMinutes` before each judged minute); order does not matter.
 */
export function detectServiceSignals(
  minutes: readonly EvidenceMinute[],
  options: Partial<ServiceSignalOptions> = {},
  only?: number,
  /**
   * Services with an open incident, and the minute it started: their minutes since are the incident, not
   * what is normal for them, so they are judged against the history before it. A fault, however long,
   * keeps its incident open while it lasts.
   */
  incidents: ReadonlyMap<string, number> = new Map(),
): Signal[] {
  const o = { ...DEFAULT_SERVICE_SIGNAL_OPTIONS, ...options };
  const sorted = [...minutes].sort((a, b) => a.minute - b.minute);
  const out: Signal[] = [];
  let lo = 0;
  for (let j = 0; j < sorted.length; j++) {
    const minute = sorted[j].minute;
    while (sorted[lo].minute < minute - o.historyMinutes * MINUTE_US) lo++;
    if (only !== undefined && minute !== only) continue;
    const cur = countsOf(sorted[j].evidence);
    const history = sorted.slice(lo, j).map((e) => ({ minute: e.minute, counts: countsOf(e.evidence) }));
    const judged: Signal[] = [];
    for (const [key, c] of cur) {
      const cut = key.indexOf('|');
      const stat = key.slice(0, cut) as Stat;
      // Service pairs are not judged on their own: they say who a gap belongs to (blameHops).
      if (stat === 'pair') continue;
      const target = key.slice(cut + 1);
      let now = c;
      const service = serviceOf(stat, target);
      const since = incidents.get(service);
      let hist = since === undefined ? history : history.filter((h) => h.minute < since);
      let window = 1;
      // A quiet target is judged on its last few minutes together, against the history before them; not
      // for early ends and skipped calls, which a handful of odd requests (failed logins) produce.
      if (c.n < o.minCalls && o.quietPoolMinutes > 1 && stat !== 'early' && stat !== 'structure') {
        const from = minute - (o.quietPoolMinutes - 1) * MINUTE_US;
        now = { ...c };
        for (const h of history)
          if (h.minute >= from) {
            const x = h.counts.get(key);
            if (x === undefined) continue;
            now.k += x.k;
            now.n += x.n;
            now.expected += x.expected;
            window++;
          }
        hist = hist.filter((h) => h.minute < from);
      }
      if (now.n <= 0) continue;
      const hk: number[] = [];
      const hn: number[] = [];
      for (const h of hist) {
        const x = h.counts.get(key);
        if (x === undefined || x.n <= 0) continue;
        hk.push(x.k);
        hn.push(x.n);
      }
      const model: ModelRate = {
        p: Math.min(0.5, Math.max(now.expected / now.n, 1 / (now.n + 1) / 10, 1e-4)),
        overdispersion: o.modelOverdispersion,
      };
      // Early ends are judged against the service's own recent minutes only, never the model: a model is
      // trained on a warm-up that shares the machine with start-up and training, and the minutes after it run
      // faster across the board (measured on the OpenTelemetry testbed: fault-free minutes right after the
      // first models opened "early return" incidents on the entry service).
      const r = rateTest(now.k, now.n, hk, hn, o, stat === 'early' ? undefined : model);
      if (!r) continue;
      const ref =
        r.reference === 'model' ? 'normally, by the model' : `over the previous ${r.minutes} minutes`;
      const over = window > 1 ? ` over the last ${window} minutes` : '';
      judged.push({
        kind: KIND[stat],
        target: stat === 'gap' ? { type: 'hop', key: target } : { type: 'service', key: service },
        minute,
        ...(window > 1 ? { windowMinutes: window } : {}),
        strength: r.z / o.z,
        value: now.k / now.n,
        baseline: r.p0,
        evidence: sentence(stat, target + over, Math.round(now.k), now.n, r.p0, ref),
        reference: r.reference,
        ...(stat === 'gap' ? {} : { suspect: service }),
      });
    }
    // Error-rate signals keep their suspect in both passes: the failing services are read once.
    const failing = failingServices(judged);
    blameHops(judged, cur, sorted[j].evidence.calls, failing);
    blameReactions(judged, sorted[j].evidence.calls, failing);
    out.push(...withoutSpeedup(judged, (client, server) => cur.has(`pair|${client}->${server}`)));
  }
  return out.sort((a, b) => a.minute - b.minute || b.strength - a.strength);
}

/**
 * Drops the minute's early-return signals when two or more services return early independently, none of
 * them a caller of another that does. A service that returns without doing its work shortens its own
 * answers and those of the callers above it: one source, however many services show it. Several unrelated
 * services answering faster together is the load dropping or the machine coming free (measured on the
 * OpenTelemetry testbed: right after the first models trained, two to six services "returned early" in
 * fault-free minutes and opened incidents that later swallowed real faults). `calls(client, server)`: whether
 * client called server in the minute.
 */
export function withoutSpeedup(
  judged: Signal[],
  calls: (client: string, server: string) => boolean,
): Signal[] {
  const early = judged.filter((s) => s.kind === 'early-return').map((s) => s.target.key);
  const sources = early.filter((s) => !early.some((t) => t !== s && calls(s, t)));
  return sources.length >= 2 ? judged.filter((s) => s.kind !== 'early-return') : judged;
}

/** The services with an error-rate signal in the minute. */
function failingServices(signals: readonly Signal[]): Set<string> {
  const out = new Set<string>();
  for (const s of signals) if (s.kind === KIND.errors && s.suspect !== undefined) out.add(s.suspect);
  return out;
}

/**
 * A service that is not failing itself, whose own time grew, calls changed or calls ended early in a minute
 * when a service it calls is failing, is reacting to that failure: waiting out timeouts, retrying, falling
 * back to the database behind a failed cache. Those signals are the failure's consequences and are blamed on
 * it, so the failure opens one incident, not one per service that coped with it (measured on the simulator:
 * a failed cache opened a second incident on the service that fell back to its database).
 */
function blameReactions(
  signals: Signal[],
  calls: ReadonlyMap<string, ReadonlySet<string>>,
  failing: ReadonlySet<string>,
): void {
  if (failing.size === 0) return;
  for (const s of signals) {
    if (s.target.type !== 'service' || s.suspect === undefined || failing.has(s.suspect)) continue;
    if (s.kind !== KIND.slow && s.kind !== KIND.structure && s.kind !== KIND.early) continue;
    const failed = [...(calls.get(s.suspect) ?? [])].find((c) => failing.has(c));
    if (failed !== undefined) s.suspect = failed;
  }
}

/**
 * Who a grown client-to-server gap is blamed on. One hop cannot tell whether the caller's outgoing traffic
 * or the callee's incoming traffic was held up; the minute's hops together can. A client whose calls to
 * several services all wait longer is the common factor (its CPU, its connection pool, its egress): calls
 * into each of those services are its doing too. Otherwise the server is: a blocked event loop, an
 * exhausted thread pool or a delay on its network interface leaves every call into it waiting before its
 * span can start, whoever calls.
 */
export function blameHops(
  signals: Signal[],
  cur: ReadonlyMap<string, Count>,
  calls: ReadonlyMap<string, ReadonlySet<string>>,
  failing: ReadonlySet<string>,
): void {
  const pairs: { client: string; server: string; c: Count }[] = [];
  for (const [key, c] of cur)
    if (key.startsWith('pair|')) {
      const [client, server] = key.slice(5).split('->');
      pairs.push({ client, server, c });
    }
  /** The counterpart with most of the slow calls among `list`, when it has at least half of them. */
  const dominant = (list: typeof pairs, end: 'client' | 'server') => {
    let all = 0;
    let top: (typeof pairs)[number] | undefined;
    for (const p of list) {
      all += p.c.k;
      if (top === undefined || p.c.k > top.c.k) top = p;
    }
    return top !== undefined && all > 0 && 2 * top.c.k >= all ? top[end] : undefined;
  };
  /** Whether a client's calls to servers other than `except` wait longer too (its own doing, then). */
  const slowElsewhere = (client: string, except: string) => {
    const c: Count = { k: 0, n: 0, expected: 0 };
    for (const p of pairs)
      if (p.client === client && p.server !== except) {
        c.k += p.c.k;
        c.n += p.c.n;
        c.expected += p.c.expected;
      }
    if (c.n === 0 || c.k < 3) return false;
    const p0 = c.expected / c.n;
    return c.k / c.n >= p0 + 0.1 && (c.k - c.expected) / Math.sqrt(c.n * p0 * (1 - p0)) >= 3;
  };
  // A client that changed what it calls in the same minute (an N+1, a new call) while the calls into a
  // healthy server wait longer is sending the load the server queues on: the change is the cause. Unless a
  // service it calls is failing: then the change and the waits are its reaction (retries, a fallback to the
  // database behind a failed cache), consequences of that failure, which the gap is blamed on. Without the
  // change a failing callee of the client is only a sibling: it cannot make calls into another service wait
  // (measured on the OpenTelemetry testbed: a blocked currency service's incoming waits were blamed on cart,
  // which failed in the same minute and shares currency's main caller).
  const restructured = new Set<string>();
  for (const s of signals)
    if (s.kind === KIND.structure && s.suspect !== undefined) restructured.add(s.suspect);
  /** A service the client calls that is failing: the client's changed calls and waits are its doing. */
  const failingCallee = (client: string) => [...(calls.get(client) ?? [])].find((c) => failing.has(c));
  const loads = (client: string) => restructured.has(client) && failingCallee(client) === undefined;
  for (const s of signals) {
    if (s.target.type !== 'hop') continue;
    const [client, server] = s.target.key.split('->');
    if (client === '*') {
      const from = dominant(
        pairs.filter((p) => p.server === server),
        'client',
      );
      const failed =
        from !== undefined && !failing.has(server) && restructured.has(from)
          ? failingCallee(from)
          : undefined;
      s.suspect =
        failed ?? (from !== undefined && (loads(from) || slowElsewhere(from, server)) ? from : server);
    } else {
      const to = dominant(
        pairs.filter((p) => p.client === client),
        'server',
      );
      const failed =
        to !== undefined && !failing.has(to) && restructured.has(client) ? failingCallee(client) : undefined;
      s.suspect = failed ?? (to === undefined || loads(client) || slowElsewhere(client, to) ? client : to);
    }
  }
}
