import type { MinuteBucket } from '../traffic/minute-buckets.js';
import { MINUTE_US } from '../traffic/minute.js';
import { allocate, type Demand } from './allocate.js';
import { jaegerStrategy, type JaegerStrategy } from './jaeger.js';
import type { SamplingOptions } from './options.js';
import {
  current,
  servedProbability,
  smooth,
  type SamplingState,
  type Served,
  type Target,
} from './smoothing.js';
import { adviceWindows, operationOf, serviceTraffic, type OperationTraffic } from './traffic.js';

export interface ServiceAdviceInput {
  service: string;
  /** Stored minutes from the history window's start to now (adviceWindows). */
  buckets: readonly MinuteBucket[];
  /** Endpoints (`service:operation`) of the open incidents, every service's. */
  incidentEndpoints: ReadonlySet<string>;
  state: SamplingState | undefined;
  nowMs: number;
}

export interface ServiceAdvice {
  strategy: JaegerStrategy;
  /** To keep for the next request. */
  state: SamplingState;
  /** What the advice was based on, per operation seen. */
  operations: (OperationTraffic & { urgency: number; incident: boolean })[];
  /** Traces per second the target probabilities keep (before smoothing). */
  expectedTps: number;
}

/** What is served now, or for a service never advised, the cold start. */
function held(state: SamplingState | undefined, o: SamplingOptions): Served {
  return state ? current(state) : { at: 0, defaultProbability: o.coldStartProbability, operations: {} };
}

/**
 * The sampling advice for one service: its operations' rates (corrected for what they were served) and
 * anomaly rates against normal, the open incidents, the budget (see allocate); smoothed against what was
 * served before.
 * An operation without a measured rate keeps what it has (no rate means nothing to budget), one not seen at all
 * falls back to the default; one in an open incident always gets everything the budget allows. Pure: the
 * caller reads and keeps the state.
 */
export function adviseService(input: ServiceAdviceInput, o: SamplingOptions): ServiceAdvice {
  const w = adviceWindows(input.nowMs, o);
  const { operations } = serviceTraffic(
    input.buckets,
    input.service,
    w,
    (op, atMs) => servedProbability(input.state, op, atMs, o.coldStartProbability),
    o,
  );
  const incidentOps = new Set<string>();
  for (const e of input.incidentEndpoints) {
    const op = operationOf(e, input.service);
    if (op !== undefined) incidentOps.add(op);
  }
  // Incidents first, then operations clearly above their normal anomaly rate, each by its anomaly rate.
  const urgencyOf = (t: OperationTraffic) =>
    incidentOps.has(t.operation) ? 1 + t.anomalyRate : t.lift >= o.anomalousLift ? t.anomalyRate : 0;
  const before = held(input.state, o);
  const measured = operations.filter((t) => t.rate > 0);
  const demands: Demand[] = measured.map((t) => ({
    operation: t.operation,
    rate: t.rate,
    urgency: urgencyOf(t),
  }));
  const a = allocate(demands, o);
  const target: Target = {
    defaultProbability: measured.length > 0 ? a.defaultProbability : before.defaultProbability,
    operations: new Map(a.probabilities),
    immediate: incidentOps,
  };
  // Seen only in minutes still filling: no rate yet, so it keeps what it was served.
  for (const t of operations) {
    const was = before.operations[t.operation];
    if (t.rate === 0 && was !== undefined) target.operations.set(t.operation, was);
  }
  // An operation of an incident with no measured rate costs nothing known: all of it.
  for (const op of incidentOps) if (!a.probabilities.has(op)) target.operations.set(op, 1);
  // Served history is needed as far back as the rate window reaches.
  const keepMs = input.nowMs - w.rateFrom / 1000 + MINUTE_US / 1000;
  const state = smooth(input.state, target, input.nowMs, keepMs, o);
  return {
    strategy: jaegerStrategy(current(state), o.floorTps),
    state,
    operations: operations.map((t) => ({
      ...t,
      urgency: urgencyOf(t),
      incident: incidentOps.has(t.operation),
    })),
    expectedTps: a.expectedTps,
  };
}
