/** Fault specifications, their schedule in simulated time, and the ground truth each one leaves behind. */

export const FAULT_TYPES = [
  'latency',
  'cpu',
  'errors',
  'network',
  'retry-storm',
  'n-plus-one',
  'cache-failure',
  'leak',
  'spike',
  'lost-spans',
  'structure',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** The DESIGN contract's root-cause kinds. */
export type RootCauseKind = 'latency' | 'error' | 'structure' | 'network' | 'instrumentation';

export const FAULT_KIND: Record<FaultType, RootCauseKind> = {
  latency: 'latency',
  cpu: 'latency',
  errors: 'error',
  network: 'network',
  'retry-storm': 'error',
  'n-plus-one': 'structure',
  'cache-failure': 'error',
  leak: 'latency',
  spike: 'latency',
  'lost-spans': 'instrumentation',
  structure: 'structure',
};

export interface FaultTarget {
  service?: string;
  operation?: string;
  /** Instance index within the service, or its name. */
  instance?: number | string;
  /** Caller and callee services of a network fault. */
  from?: string;
  to?: string;
  /** "service/operation" of an endpoint (spike), or of the call repeated (n-plus-one) or dropped (structure). */
  endpoint?: string;
  call?: string;
  /** "service/operation" called instead of `call` (structure). */
  add?: string;
}

export interface FaultSpec {
  id?: string;
  type: FaultType;
  /** Window in seconds from the start of the run. */
  startS: number;
  endS: number;
  target: FaultTarget;
  /**
   * How strong the fault is; what the number means depends on the type:
   * - latency: ms added to the self time of each target span
   * - cpu: share of the instance CPU taken (0..1): self time x (1 + i), utilization pushed toward 1
   * - errors: probability that a target span fails
   * - network: ms added in each direction between client and server on the edge
   * - retry-storm: probability that the target fails (callers then retry up to 3 times, without backoff)
   * - n-plus-one: number of times the target call is repeated per request
   * - cache-failure: probability that a read of the cache fails (the caller falls back to the database)
   * - leak: self-time multiplier reached at the end of the window (grows exponentially)
   * - spike: arrival-rate multiplier
   * - lost-spans: probability that a target span (and the client spans it makes) is not reported
   * - structure: share of requests taking the defective code path
   */
  intensity: number;
}

export interface RootCause {
  service: string;
  operation?: string;
  instance?: string;
  edge?: { from: string; to: string };
  /**
   * A traffic spike: the endpoint whose extra traffic caused it. In one trace the spike shows itself where
   * the queueing it caused grew most (`service`), and the load entering at this endpoint is as right.
   */
  load?: { service: string; operation: string };
}

export interface FaultTruth {
  id: string;
  type: FaultType;
  kind: RootCauseKind;
  /** µs since the epoch. */
  start: number;
  end: number;
  intensity: number;
  target: FaultTarget;
  rootCause: RootCause;
  description: string;
}

export interface TraceTruth {
  traceId: string;
  /** Root span start, µs. */
  start: number;
  endpoint: string;
  anomalous: boolean;
  /**
   * Ids of the faults that changed this trace. A latency fault (latency, cpu, leak, spike) changes a trace
   * only when a span it slowed ends beyond the 99th percentile of its fault-free self time (normal-range.ts).
   */
  faults: string[];
  /** Faults that slowed spans of this trace only within their normal range: the trace is labelled normal. */
  withinNormal?: string[];
  faultType?: FaultType;
  /** Where the first fault that changed this trace showed itself. */
  rootCause?: RootCause;
}

export interface ActiveFault {
  spec: FaultSpec;
  id: string;
  start: number;
  end: number;
}

/**
 * Places fault windows in simulated time. With `repeatEveryS`, the whole list repeats forever (the live demo),
 * each repetition getting its own id (`id#k`).
 */
export class FaultSchedule {
  constructor(
    readonly specs: FaultSpec[],
    readonly originUs: number,
    readonly repeatEveryS?: number,
  ) {}

  private idOf(spec: FaultSpec, i: number): string {
    return spec.id ?? `${spec.type}-${i}`;
  }

  active(tUs: number): ActiveFault[] {
    const out: ActiveFault[] = [];
    const offS = (tUs - this.originUs) / 1e6;
    const period = this.repeatEveryS;
    const k = period ? Math.floor(offS / period) : 0;
    const base = this.originUs + (period ? k * period * 1e6 : 0);
    const rel = period ? offS - k * period : offS;
    for (let i = 0; i < this.specs.length; i++) {
      const s = this.specs[i];
      if (rel >= s.startS && rel < s.endS) {
        const id = period ? `${this.idOf(s, i)}#${k}` : this.idOf(s, i);
        out.push({ spec: s, id, start: base + s.startS * 1e6, end: base + s.endS * 1e6 });
      }
    }
    return out;
  }

  /** Every fault window that starts before `untilUs`. */
  windows(untilUs: number): ActiveFault[] {
    const out: ActiveFault[] = [];
    const period = this.repeatEveryS;
    const reps = period ? Math.max(1, Math.ceil((untilUs - this.originUs) / (period * 1e6))) : 1;
    for (let k = 0; k < reps; k++) {
      const base = this.originUs + (period ? k * period * 1e6 : 0);
      for (let i = 0; i < this.specs.length; i++) {
        const s = this.specs[i];
        const start = base + s.startS * 1e6;
        if (start >= untilUs) continue;
        const id = period ? `${this.idOf(s, i)}#${k}` : this.idOf(s, i);
        out.push({ spec: s, id, start, end: base + s.endS * 1e6 });
      }
    }
    return out;
  }
}
