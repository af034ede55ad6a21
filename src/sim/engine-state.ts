/**
 * The records the trace engine builds a trace in, shared by the engine and its helpers (latency-draws.ts,
 * protocol-attributes.ts, trace-recording.ts): faults compiled against the topology, the span records under
 * construction, one trace's context. Apart from engine.ts so that the helpers can name them without importing
 * the engine that imports them.
 */
import type { Attributes, SpanKind } from '../trace/span.js';
import type { EndpointRt, InstanceRt, OpRt, ServiceRt } from './compile.js';
import type { ActiveFault, FaultSpec, RootCause } from './faults.js';
import type { Rng } from './seeded-random.js';

export interface FaultRt {
  spec: FaultSpec;
  service?: ServiceRt;
  op?: OpRt;
  instance?: InstanceRt;
  from?: ServiceRt;
  to?: ServiceRt;
  endpoint?: EndpointRt;
  call?: OpRt;
  add?: OpRt;
}

/** Whether fault `f` applies to operation `op` served by instance `inst`. */
export function matchesNode(f: FaultRt, op: OpRt, inst: InstanceRt): boolean {
  return (
    (!f.service || f.service === op.service) && (!f.op || f.op === op) && (!f.instance || f.instance === inst)
  );
}

export interface LiveFault {
  rt: FaultRt;
  window: ActiveFault;
}

export interface Rec {
  id: string;
  parent: number;
  inst: InstanceRt;
  name: string;
  kind: SpanKind;
  rel: number;
  dur: number;
  error: boolean;
  msg?: string;
  attrs: Attributes;
  dropped: boolean;
}

export interface Touch {
  fault: LiveFault;
  root: RootCause;
  weight: number;
}

export interface TraceCtx {
  rng: Rng;
  t0: number;
  recs: Rec[];
  flags: Set<string>;
  live: LiveFault[];
  /** Utilization of each service now, with and without the faults that add load. */
  rho: Float64Array;
  rho0: Float64Array;
  spike?: LiveFault;
  touches: Touch[];
  /** Faults that slowed a span of this trace only within its normal range (see normal-range.ts). */
  withinNormal: Set<LiveFault>;
}
