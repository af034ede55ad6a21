/**
 * What the held-out simulator produces: spans shaped like the OpenTelemetry data model (the wire encoders
 * turn them into OTLP JSON, Jaeger v1 or Zipkin v2), and the ground truth of every trace.
 */

export type SimSpanKind = 'server' | 'client' | 'producer' | 'consumer' | 'internal';
export type AttrValue = string | number | boolean;

export interface SimEvent {
  name: string;
  /** µs since the epoch. */
  time: number;
  attributes: Record<string, AttrValue>;
}

/** One running copy of a service: a pod on a node. */
export interface Instance {
  service: string;
  pod: string;
  node: string;
  /** Resource attributes, as the SDK of that process reports them. */
  resource: Record<string, AttrValue>;
  /** The node's clock offset, µs: spans are stamped with the clock of the node that records them. */
  skewUs: number;
}

export interface SimSpan {
  spanId: string;
  parentId?: string;
  name: string;
  kind: SimSpanKind;
  /** µs since the epoch, true time (the encoder applies the instance's clock skew). */
  start: number;
  end: number;
  instance: Instance;
  attributes: Record<string, AttrValue>;
  status: 'unset' | 'ok' | 'error';
  statusMessage?: string;
  events: SimEvent[];
}

export interface SimTrace {
  traceId: string;
  spans: SimSpan[];
}

/** What one fault did to one trace (empty list: the trace is unchanged by any fault). */
export interface FaultEffect {
  faultId: string;
  /** The component whose own behaviour changed (a service, or a database / link named as such). */
  component: string;
  /** One sentence: what changed, with the figures. */
  change: string;
}

export interface TraceTruth {
  traceId: string;
  /** µs since the epoch, the root span's start. */
  start: number;
  /** The entry endpoint, `service:operation` of the root span. */
  endpoint: string;
  faulty: boolean;
  /** Faults that changed this trace. */
  effects: FaultEffect[];
  /** Services any of which counts as naming the root cause (the union over `effects`); empty when not faulty. */
  rootCause: string[];
  /** Faults whose component this trace passed while the fault was on, without being changed by it. */
  passedUnchanged: string[];
}

/** A fault as scheduled: when it is on and what counts as its root cause. */
export interface FaultWindow {
  id: string;
  kind: string;
  /** µs since the epoch; the fault is on in [start, end). */
  start: number;
  end: number;
  /** Services any of which counts as naming the root cause of the fault as a whole. */
  rootCause: string[];
  /** How it is scheduled: alone, overlapping another fault, or a few minutes after another. */
  group: 'single' | 'overlapping' | 'back-to-back';
  description: string;
}
