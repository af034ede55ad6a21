import type { ShiftEvidence } from './shift-evidence.js';
import type { ServiceShift } from './shift-records.js';
import { endpointKey } from '../trace/endpoint-key.js';
import { median } from '../detectors/median.js';

/**
 * Incident-level root-cause ranking over one window's ShiftEvidence. Each service gets several pieces of
 * evidence; each, above its noise floor, is normalised to a share over the window's services (so that no
 * unit dominates by its scale) and the shares are summed with weights. Shifts are measured against what was
 * usual in the reference minutes before the window, so a drift since training that every minute shares is
 * not taken for the incident.
 *
 * - cause: the per-trace root causes of the flagged traces (score x contribution);
 * - spectrum: how much more often the service is in flagged traces than in the rest (Ochiai's coefficient of
 *   spectrum-based fault localisation), which catches faults whose per-trace blame is diffuse;
 * - latency: the largest shift of one of its operations' self time against the baseline (mean robust z,
 *   shrunk toward 0 for operations seen a few times), which sees a slowdown too small to flag single traces;
 * - early: the largest drop of one of its operations' whole duration (calls that return or throw early);
 * - structure: usual calls it stopped making, calls it never made before and calls repeated more than
 *   ever (retries, N+1), beyond what normal traffic shows;
 * - network: client-to-server gaps that grew, blamed on the end that explains them (see networkBlame).
 *
 * The weights were chosen on the Nezha systems and the simulator together (npm run eval -- nezha-onlineboutique,
 * nezha-trainticket, sim); one set serves every data set.
 *
 * Then the topology: a service whose callee carries at least as much evidence is usually waiting on that
 * callee or reacting to it, so part of its score is handed down (the callee explains its callers).
 */

export const RCA_WEIGHTS = {
  cause: 1,
  spectrum: 0.5,
  latency: 1,
  early: 0.5,
  structure: 0.5,
  // Twice the others: in traces without span kinds a callee's delay lands in its caller's self time, and
  // the hop's gap is then the only piece of evidence that points past the waiting caller to the callee.
  network: 2,
} as const;
export type RcaComponent = keyof typeof RCA_WEIGHTS;

/** Pseudo-count that shrinks the mean z of rarely seen operations toward 0. */
const SHRINK = 10;
/** Flagged traces at which the per-trace causes weigh their nominal weight (up to twice that with many more). */
const CAUSE_HALF = 50;
/** An instance must be this much slower (mean z) than the service's other instances to be named. */
const INSTANCE_GAP = 1;
/** A caller keeps this share of its score when a callee carries as much evidence. */
const CALLER_KEEP = 0.5;

export interface RankedService {
  service: string;
  score: number;
  components: Record<RcaComponent, number>;
  /** The operation that failed most beyond normal, or else the one with the strongest latency or duration shift. */
  operation?: string;
  instance?: string;
  /** An attribute value over-represented in the service's flagged traces, `key=value`. */
  attribute?: string;
  evidence: string;
}

/** Reference minutes with fewer samples than this do not vote on what is usual. */
const MIN_REFERENCE_SAMPLES = 3;
const MIN_REFERENCE_MINUTES = 3;

interface OpPick {
  operation: string;
  value: number;
  judged: number;
  /** Mean z in the window and in the reference. */
  mean: number;
  usual: number;
}

/**
 * What is usual lately, per key: the median over reference minutes of a per-minute mean. The baseline was
 * trained some time ago; traffic drifts (a deploy, a busier day), and a drift every operation shares is not
 * the incident. The median keeps a short earlier fault in the reference from hiding a recurrence.
 */
function usual(
  reference: readonly ShiftEvidence[],
  values: (e: ShiftEvidence) => Iterable<[string, number, number]>,
): Map<string, number> {
  const per = new Map<string, number[]>();
  for (const e of reference)
    for (const [key, sum, n] of values(e)) {
      if (n < MIN_REFERENCE_SAMPLES) continue;
      let xs = per.get(key);
      if (xs === undefined) per.set(key, (xs = []));
      xs.push(sum / n);
    }
  const out = new Map<string, number>();
  for (const [k, xs] of per) if (xs.length >= MIN_REFERENCE_MINUTES) out.set(k, median(xs));
  return out;
}

function* opSelf(e: ShiftEvidence): Iterable<[string, number, number]> {
  for (const [k, o] of e.operations) yield [k, o.selfZ, o.judged];
}
function* opDur(e: ShiftEvidence): Iterable<[string, number, number]> {
  for (const [k, o] of e.operations) yield [k, o.durZ, o.judged];
}
function* hopGap(e: ShiftEvidence): Iterable<[string, number, number]> {
  for (const [k, h] of e.hops) yield [k, h.gapZ, h.judged];
}
function* svcStructure(e: ShiftEvidence): Iterable<[string, number, number]> {
  for (const [k, s] of e.services) yield [k, s.structureObserved - s.structureExpected, s.traces];
}

function best(
  ev: ShiftEvidence,
  service: string,
  sign: 1 | -1,
  field: 'selfZ' | 'durZ',
  ref: Map<string, number>,
): OpPick | undefined {
  let top: OpPick | undefined;
  for (const [key, o] of ev.operations) {
    if (o.service !== service || o.judged === 0) continue;
    const u = ref.get(key) ?? 0;
    const value = (sign * (o[field] - o.judged * u)) / (o.judged + SHRINK);
    if (top === undefined || value > top.value)
      top = { operation: o.operation, value, judged: o.judged, mean: o[field] / o.judged, usual: u };
  }
  return top;
}

/** A gap shift this large (mean z above usual, shrunk) counts as a slow hop when deciding whom to blame. */
const SLOW_HOP = 1;

/**
 * Slow client-to-server gaps, blamed the way the per-trace rule does (explain/network.ts), but over the
 * window: a client slow towards several servers is the common factor, and so is a client whose own call
 * pattern changed (it now calls more often, or calls what it did not: the wait is its pool's queue);
 * otherwise the server, whose incoming traffic is held up (delay injected at a service shows on every call
 * into it).
 */
interface HopPick {
  client: string;
  server: string;
  value: number;
  judged: number;
}

function networkBlame(
  ev: ShiftEvidence,
  ref: Map<string, number>,
  changedCallers: ReadonlySet<string>,
  picks: Map<string, HopPick>,
): Map<string, number> {
  const shift = new Map<string, { client: string; server: string; v: number }>();
  const slowServers = new Map<string, number>();
  const judged = new Map<string, number>();
  for (const [k, h] of ev.hops) {
    const v = (h.gapZ - h.judged * (ref.get(k) ?? 0)) / (h.judged + SHRINK);
    shift.set(k, { client: h.client, server: h.server, v });
    judged.set(k, h.judged);
    if (v >= SLOW_HOP) slowServers.set(h.client, (slowServers.get(h.client) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const [k, { client, server, v }] of shift) {
    const who = (slowServers.get(client) ?? 0) >= 2 || changedCallers.has(client) ? client : server;
    if (v <= (out.get(who) ?? 0)) continue;
    out.set(who, v);
    picks.set(who, { client, server, value: v, judged: judged.get(k) ?? 0 });
  }
  return out;
}

/**
 * Below these a shift is noise and counts nothing: shares are relative, and without a floor a window where
 * nothing moved would hand a whole component to whichever service jittered most. Mean z (sd) for the
 * latency pieces; excess share of traces for structure; the others are non-zero only when something was
 * flagged.
 */
const NOISE_FLOOR: Record<RcaComponent, number> = {
  cause: 0,
  spectrum: 0,
  latency: 0.5,
  early: 0.5,
  structure: 0.05,
  network: 0.5,
};

/**
 * Each service's part of what stands above the floor. The whole component takes excess adding up to at
 * least the floor again: a service that alone barely crossed it gets a part in proportion, not the whole
 * weight (a +0.6 sd jitter in one callee must not outrank the service the flagged traces blame).
 */
function shares(raw: Map<string, number>, floor: number): Map<string, number> {
  let sum = 0;
  for (const v of raw.values()) sum += Math.max(0, v - floor);
  const whole = Math.max(sum, floor);
  const out = new Map<string, number>();
  for (const [k, v] of raw) out.set(k, whole > 0 ? Math.max(0, v - floor) / whole : 0);
  return out;
}

/**
 * Ranks the services of `ev` (the incident's window). `reference` holds per-minute evidence of the time just
 * before it (say the last hour): shifts are measured against what was usual there, falling back to the
 * trained baseline alone where the reference is too thin.
 */
export function rankServices(
  ev: ShiftEvidence,
  reference: readonly ShiftEvidence[] = [],
  weights: Record<RcaComponent, number> = RCA_WEIGHTS,
  callerKeep = CALLER_KEEP,
): RankedService[] {
  const refSelf = usual(reference, opSelf);
  const refDur = usual(reference, opDur);
  const refStructure = usual(reference, svcStructure);
  const refGap = usual(reference, hopGap);
  const hops = new Map<string, HopPick>();
  const raw: Record<RcaComponent, Map<string, number>> = {
    cause: new Map(),
    spectrum: new Map(),
    latency: new Map(),
    early: new Map(),
    structure: new Map(),
    network: new Map(),
  };
  const slow = new Map<string, OpPick | undefined>();
  const quick = new Map<string, OpPick | undefined>();
  for (const [name, s] of ev.services) {
    raw.cause.set(name, s.cause);
    raw.spectrum.set(name, ev.anomalous > 0 ? s.anomalous / Math.sqrt(ev.anomalous * s.traces) : 0);
    const sl = best(ev, name, 1, 'selfZ', refSelf);
    const qk = best(ev, name, -1, 'durZ', refDur);
    slow.set(name, sl);
    quick.set(name, qk);
    raw.latency.set(name, sl?.value ?? 0);
    raw.early.set(name, qk?.value ?? 0);
    raw.structure.set(
      name,
      (s.structureObserved - s.structureExpected - s.traces * (refStructure.get(name) ?? 0)) /
        (s.traces + SHRINK),
    );
  }
  const changedCallers = new Set<string>();
  for (const [name, v] of raw.structure) if (v > NOISE_FLOOR.structure) changedCallers.add(name);
  raw.network = networkBlame(ev, refGap, changedCallers, hops);
  const norm = {} as Record<RcaComponent, Map<string, number>>;
  for (const k of Object.keys(raw) as RcaComponent[]) norm[k] = shares(raw[k], NOISE_FLOOR[k]);
  // The per-trace causes are averaged over the flagged traces: worth little over a handful, more than any
  // window-level shift over hundreds (each of them was explained against its own endpoint's model).
  const w = { ...weights, cause: (weights.cause * 2 * ev.anomalous) / (ev.anomalous + CAUSE_HALF) };
  const base = new Map<string, number>();
  for (const name of ev.services.keys()) {
    let v = 0;
    for (const k of Object.keys(weights) as RcaComponent[]) v += w[k] * (norm[k].get(name) ?? 0);
    base.set(name, v);
  }
  const score = new Map(base);
  for (const [caller, callees] of ev.calls) {
    const mine = base.get(caller) ?? 0;
    let strongest = 0;
    for (const c of callees) if (c !== caller) strongest = Math.max(strongest, base.get(c) ?? 0);
    if (strongest >= mine && mine > 0) score.set(caller, mine * callerKeep);
  }
  return [...ev.services.keys()]
    .map((service) => {
      const components = Object.fromEntries(
        (Object.keys(weights) as RcaComponent[]).map((k) => [k, norm[k].get(service) ?? 0]),
      ) as Record<RcaComponent, number>;
      const sl = slow.get(service);
      const qk = quick.get(service);
      const lead = leading(components, weights);
      // Led by its flagged traces' own causes, a service that fails is named by the operation that fails:
      // its slowest operation may be any bystander then.
      const failing = lead === 'cause' ? mostFailing(ev, service) : undefined;
      const op = lead === 'early' ? qk : sl;
      const s = ev.services.get(service)!;
      const bubble = bubbleUp(ev, service);
      const sentence = describe(lead, {
        service,
        ev,
        s,
        causeShare: components.cause,
        op,
        hop: hops.get(service),
        failing,
      });
      const timed = failing === undefined && op !== undefined && op.value > 0 ? op.operation : undefined;
      return {
        service,
        score: score.get(service) ?? 0,
        components,
        operation: failing?.operation ?? timed,
        instance: timed !== undefined ? slowInstance(ev, service, timed) : undefined,
        attribute: bubble?.attribute,
        evidence: bubble
          ? `${sentence}; ${bubble.attribute} in ${pct(bubble.flagged)} of its flagged traces, ${pct(bubble.other)} of the others`
          : sentence,
      };
    })
    .sort((a, b) => b.score - a.score || (a.service < b.service ? -1 : 1));
}

function leading(
  components: Record<RcaComponent, number>,
  weights: Record<RcaComponent, number>,
): RcaComponent {
  let top: RcaComponent = 'cause';
  for (const k of Object.keys(weights) as RcaComponent[])
    if (weights[k] * components[k] > weights[top] * components[top]) top = k;
  return top;
}

/** An instance whose spans of the operation are much slower than the operation's other instances. */
function slowInstance(ev: ShiftEvidence, service: string, operation: string): string | undefined {
  const o = ev.operations.get(endpointKey(service, operation));
  if (o === undefined) return undefined;
  const all = Object.entries(o.instances);
  if (all.length < 2) return undefined;
  let best: [string, number] | undefined;
  for (const [name, i] of all) {
    if (i.spans < MIN_REFERENCE_SAMPLES) continue;
    const mean = i.selfZ / i.spans;
    if (best === undefined || mean > best[1]) best = [name, mean];
  }
  if (best === undefined) return undefined;
  let restZ = 0;
  let restN = 0;
  for (const [name, i] of all)
    if (name !== best[0]) {
      restZ += i.selfZ;
      restN += i.spans;
    }
  return restN > 0 && best[1] - restZ / restN >= INSTANCE_GAP ? best[0] : undefined;
}

/** BubbleUp's test: a value must be this much more common in flagged than in other traces of the service. */
const MIN_ATTRIBUTE_LIFT = 0.3;
const MIN_ATTRIBUTE_TRACES = 5;

/**
 * The attribute value of a service most over-represented in the flagged traces that touched it against
 * the rest (Honeycomb's BubbleUp, on resource attributes: version, pod, host, zone), with the two shares.
 */
export function bubbleUp(
  ev: ShiftEvidence,
  service: string,
): { attribute: string; flagged: number; other: number } | undefined {
  const s = ev.services.get(service);
  if (s === undefined || s.anomalous < MIN_ATTRIBUTE_TRACES) return undefined;
  const normal = s.traces - s.anomalous;
  let best: { attribute: string; flagged: number; other: number } | undefined;
  for (const a of ev.attributes.values()) {
    if (a.service !== service || a.anomalous < MIN_ATTRIBUTE_TRACES) continue;
    const flagged = a.anomalous / s.anomalous;
    const other = normal > 0 ? (a.traces - a.anomalous) / normal : 0;
    if (flagged - other < MIN_ATTRIBUTE_LIFT) continue;
    if (best === undefined || flagged - other > best.flagged - best.other)
      best = { attribute: a.attribute, flagged, other };
  }
  return best;
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
const fmt = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(1);

/** One sentence a person can check, from the piece of evidence that weighs most for the service. */
/** Failing calls an operation must have had, beyond what normal traffic explains, to be named for them. */
const MIN_FAILURES = 3;

interface FailingPick {
  operation: string;
  failed: number;
  calls: number;
  expected: number;
}

/** The service's operation with the most failures beyond the model's expectation, when it has some. */
function mostFailing(ev: ShiftEvidence, service: string): FailingPick | undefined {
  let top: FailingPick | undefined;
  for (const o of ev.operations.values()) {
    if (o.service !== service) continue;
    const excess = o.errorOrigins - o.errorExpected;
    if (excess < MIN_FAILURES || (top !== undefined && excess <= top.failed - top.expected)) continue;
    top = { operation: o.operation, failed: o.errorOrigins, calls: o.errorCalls, expected: o.errorExpected };
  }
  return top;
}

function describe(
  lead: RcaComponent,
  d: {
    service: string;
    ev: ShiftEvidence;
    s: ServiceShift;
    causeShare: number;
    op?: OpPick;
    hop?: HopPick;
    failing?: FailingPick;
  },
): string {
  const { service, ev, s, op, hop } = d;
  switch (lead) {
    case 'latency':
      if (op)
        return `${service}:${op.operation} self time ${fmt(op.mean)} sd on average over ${op.judged} spans (usual lately ${fmt(op.usual)})`;
      break;
    case 'early':
      if (op)
        return `${service}:${op.operation} calls ended early: duration ${fmt(op.mean)} sd on average over ${op.judged} spans (usual lately ${fmt(op.usual)})`;
      break;
    case 'network':
      if (hop)
        return `calls ${hop.client} -> ${hop.server} spent ${fmt(hop.value)} sd more than usual between client and server, over ${hop.judged} calls`;
      break;
    case 'structure':
      return `${service} skipped usual calls or made unknown ones in ${s.structureObserved.toFixed(0)} of ${s.traces} traces (about ${s.structureExpected.toFixed(0)} expected)`;
    case 'spectrum':
      return `${service} is in ${s.anomalous} of the ${ev.anomalous} flagged traces, and in ${s.traces} of ${ev.traces} traces in all`;
    case 'cause':
      break;
  }
  const f = d.failing;
  const failed = f
    ? `; ${service}:${f.operation} failed ${f.failed} times in ${f.calls} calls with no failing call below (about ${f.expected.toFixed(1)} expected)`
    : '';
  return `flagged traces put ${(100 * d.causeShare).toFixed(0)}% of their per-trace root-cause weight on ${service} (in ${s.anomalous} of ${ev.anomalous} flagged traces)${failed}`;
}
