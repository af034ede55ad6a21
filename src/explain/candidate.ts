export type RootCauseKind = 'latency' | 'error' | 'structure' | 'network' | 'instrumentation';

/** A cause suggested by one piece of evidence, before suggestions of the same cause are merged and ranked. */
export interface Candidate {
  kind: RootCauseKind;
  service: string;
  operation: string;
  span: number;
  weight: number;
  evidence: string;
  /**
   * Structure findings a failure below can cause: a usual call missing, fewer calls than usual, or a call
   * never seen (an error path); with the span of the caller that made (or skipped) them.
   */
  afterError?: { caller: number };
}
