/**
 * The records a ShiftEvidence keeps per service, operation, instance, hop and attribute value, and its JSON
 * form: what the ranking reads and what the store keeps.
 */

export interface OperationShift {
  service: string;
  operation: string;
  spans: number;
  /** Sum of clipped robust z of self time (µs on the baseline's log scale) over spans with a baseline. */
  selfZ: number;
  /** The same for whole-span duration; a negative sum means calls ended early (returned or threw). */
  durZ: number;
  /** Spans with a baseline (the z sums are over these). */
  judged: number;
  /**
   * Tail exceedances against the model: of `tailJudged` spans, `slow` had self time above their path's
   * normal 95th percentile and `early` a duration below its 5th (calls that returned or threw early). In
   * normal traffic each is about 5% of the spans judged, whatever the path: the per-minute test reads them.
   */
  tailJudged: number;
  slow: number;
  /** Of `entryJudged` entry spans (the service answering a call, or the root), those that ended early. */
  entryJudged: number;
  early: number;
  /**
   * Of `errorJudged` calls (spans with a model; calls no server answered count at the service called),
   * those that failed with no failing call below them, and how many the model expects among them.
   */
  errorJudged: number;
  errorOrigins: number;
  /**
   * Calls the operation answered (its entry spans with a model) and calls made to it that no server answered:
   * what an error rate is a share of. Spans are not: a service answering with five spans per call would
   * water a 30% failure rate down to 6%.
   */
  errorCalls: number;
  errorExpected: number;
  /** Instances (pods, hosts) seen, with their span counts, self-z sums and slow spans: the fault may sit in one. */
  instances: Record<string, InstanceShift>;
}

export interface InstanceShift {
  spans: number;
  selfZ: number;
  tailJudged?: number;
  slow?: number;
}

/** Client-to-server gap of one service pair (the wire, queues and proxies between them). */
export interface HopShift {
  client: string;
  server: string;
  /** Hops with a baseline, and the sum of their clipped gap z. */
  judged: number;
  gapZ: number;
  /** Hops judged against a gap model with enough samples, and those above its normal 95th percentile. */
  tailJudged?: number;
  slow?: number;
}

/** Traces carrying one attribute value (on a span of `service`), flagged or not: BubbleUp's comparison. */
export interface AttributeShift {
  service: string;
  attribute: string;
  traces: number;
  anomalous: number;
}

export interface ServiceShift {
  /** Traces that touched the service, and the sum of their combined scores. */
  traces: number;
  scoreSum: number;
  /** Traces flagged anomalous that touched the service. */
  anomalous: number;
  /** Per-trace root-cause mass of flagged traces: sum of score x contribution. */
  cause: number;
  /** Structure surprise of this service's spans: usual calls missing, unknown calls made (observed, expected). */
  structureObserved: number;
  structureExpected: number;
  /** Error spans that started here (no erroring child). */
  errorOrigins: number;
  spans: number;
}

/**
 * A trace whose spans in a service deviated, by how much (slow spans, early ends, slow hops, errors), and
 * the endpoint it served.
 */
export type Example = [traceId: string, weight: number, endpoint: string];

export interface ShiftEvidenceJson {
  traces: number;
  anomalous: number;
  scoreSum: number;
  services: Record<string, ServiceShift>;
  operations: Record<string, OperationShift>;
  hops?: Record<string, HopShift>;
  attributes?: Record<string, AttributeShift>;
  /** Caller service -> callee services seen (the topology of the window). */
  calls: Record<string, string[]>;
  /** Per service, the traces that deviated most there. */
  examples?: Record<string, Example[]>;
}
