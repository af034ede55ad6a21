/**
 * The fault kinds of the held-out system and the questions the request code asks about them ("is this pod
 * slowed right now?", "does this connection get refused?"). Each kind is a change an SRE has seen in
 * production; none was chosen with a detector in mind.
 */
import { Rand, subSeed } from './rand.js';
import type { FaultWindow, Instance } from './model.js';
import type { Stall } from './timeline.js';

export type FaultSpec =
  /** The operation's own work (self time) takes `factor` times as long; on one pod only when `podIndex` is set. */
  | { type: 'latency'; service: string; operation?: string; podIndex?: number; factor: number }
  /** The operation fails on a share of its calls, with a gRPC status and an exception event. */
  | {
      type: 'errors';
      service: string;
      operation: string;
      rate: number;
      grpcCode: number;
      errorType: string;
      message: string;
    }
  /** Each pod's event loop is blocked for `blockMs` every `everyMs`: requests wait before their span starts. */
  | { type: 'stalls'; service: string; everyMs: [number, number]; blockMs: [number, number] }
  /** Nothing listens: connections are refused on a share of attempts (a crash-looping deployment). */
  | { type: 'refuse'; service: string; rate: number }
  /** A release of the operation reads child rows one query at a time. */
  | { type: 'n-plus-one'; service: string; operation: string }
  /** Added one-way delay on the calls from one service to another (a rerouted path, a bad sidecar). */
  | { type: 'link-delay'; from: string; to: string; delayMs: number; jitterMs: number }
  /** Every query on one database server is slower (I/O saturation behind an autovacuum). */
  | { type: 'db-slow'; address: string; factor: number; addMs: number };

export interface FaultKind {
  name: string;
  spec: FaultSpec;
  /** Services any of which counts as naming the root cause of the fault. */
  rootCause: string[];
  description: string;
}

export const TRIPS_DB = 'trips-db.data.svc.cluster.local';

export const FAULT_KINDS: readonly FaultKind[] = [
  {
    name: 'auth-validate-x3',
    spec: { type: 'latency', service: 'auth', operation: 'ValidateToken', factor: 3 },
    rootCause: ['auth'],
    description:
      'auth ValidateToken (about 2 ms) takes three times as long: a release verifies tokens with a slower library',
  },
  {
    name: 'pricing-estimate-x2.5',
    spec: { type: 'latency', service: 'pricing', operation: 'Estimate', factor: 2.5 },
    rootCause: ['pricing'],
    description: 'pricing Estimate takes 2.5 times as long: a heavier surge model; Quote is unchanged',
  },
  {
    name: 'eta-one-pod-x2.2',
    spec: { type: 'latency', service: 'eta', podIndex: 1, factor: 2.2 },
    rootCause: ['eta'],
    description: 'one eta pod of three is 2.2 times slower: a noisy neighbour throttles its node',
  },
  {
    name: 'fraud-errors',
    spec: {
      type: 'errors',
      service: 'fraud',
      operation: 'Score',
      rate: 0.35,
      grpcCode: 13,
      errorType: 'KeyError',
      message: "KeyError: 'device_fingerprint'",
    },
    rootCause: ['fraud'],
    description:
      'fraud Score fails on 35% of calls (a release reads a feature that is not always there); ride requests and charges fail with it and skip their later calls',
  },
  {
    name: 'geo-event-loop',
    spec: { type: 'stalls', service: 'geo', everyMs: [700, 1500], blockMs: [120, 420] },
    rootCause: ['geo'],
    description:
      "geo's event loop is blocked for 120-420 ms about once a second (a synchronous index rebuild): its requests wait before their spans start",
  },
  {
    name: 'promotions-refused',
    spec: { type: 'refuse', service: 'promotions', rate: 0.9 },
    rootCause: ['promotions'],
    description:
      'promotions is crash-looping: 90% of connections are refused; pricing carries on without a discount',
  },
  {
    name: 'trips-n-plus-one',
    spec: { type: 'n-plus-one', service: 'trips', operation: 'GetRide' },
    rootCause: ['trips'],
    description: 'a trips release reads the stops of a ride one query each and always misses its cache',
  },
  {
    name: 'link-rider-bff-trips',
    spec: { type: 'link-delay', from: 'rider-bff', to: 'trips', delayMs: 4, jitterMs: 1.5 },
    rootCause: ['rider-bff', 'trips'],
    description: '4 ms (±1.5) more each way on calls from rider-bff to trips: traffic rerouted across zones',
  },
  {
    name: 'trips-db-slow',
    spec: { type: 'db-slow', address: TRIPS_DB, factor: 3, addMs: 6 },
    rootCause: ['trips', TRIPS_DB],
    description: 'the trips Postgres is saturated: every query takes three times as long plus 6 ms',
  },
];

export function faultKind(name: string): FaultKind {
  const k = FAULT_KINDS.find((f) => f.name === name);
  if (!k)
    throw new Error(`heldout-sim: unknown fault kind "${name}"; known: ${FAULT_KINDS.map((f) => f.name)}`);
  return k;
}

interface Active {
  window: FaultWindow;
  spec: FaultSpec;
}

/** The scheduled faults, asked by time. Every answer names the fault so the trace's truth can record it. */
export class FaultSet {
  private readonly list: Active[];

  constructor(windows: readonly FaultWindow[]) {
    this.list = windows.map((w) => ({ window: w, spec: faultKind(w.kind).spec }));
  }

  private *on(t: number): Iterable<{ id: string; spec: FaultSpec }> {
    for (const a of this.list)
      if (t >= a.window.start && t < a.window.end) yield { id: a.window.id, spec: a.spec };
  }

  workFactor(inst: Instance, podIndex: number, operation: string, t: number) {
    for (const f of this.on(t)) {
      const s = f.spec;
      if (s.type !== 'latency' || s.service !== inst.service) continue;
      if (s.operation !== undefined && s.operation !== operation) continue;
      if (s.podIndex !== undefined && s.podIndex !== podIndex) continue;
      return { id: f.id, factor: s.factor };
    }
    return undefined;
  }

  /** The error fault on this operation, if its rate says this call fails. */
  error(service: string, operation: string, t: number, rng: Rand) {
    for (const f of this.on(t)) {
      const s = f.spec;
      if (s.type === 'errors' && s.service === service && s.operation === operation)
        return { id: f.id, spec: s, fails: rng.chance(s.rate) };
    }
    return undefined;
  }

  refused(service: string, t: number, rng: Rand) {
    for (const f of this.on(t))
      if (f.spec.type === 'refuse' && f.spec.service === service)
        return { id: f.id, refused: rng.chance(f.spec.rate) };
    return undefined;
  }

  nPlusOne(service: string, operation: string, t: number): string | undefined {
    for (const f of this.on(t))
      if (f.spec.type === 'n-plus-one' && f.spec.service === service && f.spec.operation === operation)
        return f.id;
    return undefined;
  }

  /** The delay a link fault adds to one packet between two services, in either direction. */
  linkDelay(a: string, b: string, t: number, rng: Rand) {
    for (const f of this.on(t)) {
      const s = f.spec;
      if (s.type === 'link-delay' && ((s.from === a && s.to === b) || (s.from === b && s.to === a)))
        return {
          id: f.id,
          link: `${s.from}->${s.to}`,
          us: (s.delayMs + rng.between(-1, 1) * s.jitterMs) * 1000,
        };
    }
    return undefined;
  }

  db(address: string, t: number) {
    for (const f of this.on(t))
      if (f.spec.type === 'db-slow' && f.spec.address === address)
        return { id: f.id, factor: f.spec.factor, addMs: f.spec.addMs };
    return undefined;
  }

  /** The stall fault on this service at t, if one is on (a request that met no block passed it unchanged). */
  stallFault(service: string, t: number): string | undefined {
    for (const f of this.on(t)) if (f.spec.type === 'stalls' && f.spec.service === service) return f.id;
    return undefined;
  }

  /** The event-loop blocks a stall fault puts on each pod of its service, over its window. */
  stallsFor(inst: Instance, seed: number): Stall[] {
    const out: Stall[] = [];
    for (const a of this.list) {
      const s = a.spec;
      if (s.type !== 'stalls' || s.service !== inst.service) continue;
      const rng = new Rand(subSeed(seed, `stall:${a.window.id}:${inst.pod}`));
      for (let t = a.window.start + rng.between(0, s.everyMs[1]) * 1000; t < a.window.end;) {
        const len = rng.between(s.blockMs[0], s.blockMs[1]) * 1000;
        out.push({ start: t, end: Math.min(t + len, a.window.end), faultId: a.window.id });
        t += rng.between(s.everyMs[0], s.everyMs[1]) * 1000;
      }
    }
    return out;
  }
}
