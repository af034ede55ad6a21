import { LogSketch } from '../detectors/baseline/log-sketch.js';

/**
 * What one target (an endpoint, an edge or a service) did in one minute. Every field adds up, so minutes
 * merge by addition: across workers, across batches, into wider windows.
 */
export class TargetStat {
  /** Endpoints: traces; edges: calls (client/server pairs); services: entry spans (requests served). */
  calls = 0;
  /** Of those calls, the ones marked as errors. */
  errors = 0;
  /** Distinct traces that passed the target. */
  traces = 0;
  /** Of those traces, the ones the detectors called anomalous. */
  anomalous = 0;
  /** Services: anomalous traces whose first root cause is this service (anomaly heat). */
  heat = 0;
  /** Edges: caller spans that made at least one call on the edge (calls / callers = calls per request). */
  callers = 0;
  /** Latency of the calls, µs. */
  readonly latency = new LogSketch();
  /**
   * Transient, never serialized: the last trace (and caller span) counted, so one trace counts once in
   * `traces`/`anomalous` and one caller once in `callers` without a per-trace set.
   */
  traceMark = -1;
  callerMark = -1;

  merge(o: TargetStat): void {
    this.calls += o.calls;
    this.errors += o.errors;
    this.traces += o.traces;
    this.anomalous += o.anomalous;
    this.heat += o.heat;
    this.callers += o.callers;
    this.latency.merge(o.latency);
  }

  /**
   * `[calls, errors, traces, anomalous, heat, callers, sketchOffset, ...sketchCounts]`: positional, so a
   * minute of a busy shop stays a few KB in Redis, and a Lua script can merge two encodings in place.
   */
  encode(): number[] {
    const s = this.latency.toJSON();
    return [this.calls, this.errors, this.traces, this.anomalous, this.heat, this.callers, s.o, ...s.c];
  }

  static decode(a: unknown, where: string): TargetStat {
    if (!Array.isArray(a) || a.length < STAT_HEADER + 1)
      throw new Error(`${where}: expected an array of at least ${STAT_HEADER + 1} numbers`);
    for (let i = 0; i < a.length; i++)
      if (typeof a[i] !== 'number' || !(a[i] >= 0) || !Number.isFinite(a[i]))
        throw new Error(`${where}: element ${i} is ${JSON.stringify(a[i])}, expected a number >= 0`);
    const st = new TargetStat();
    [st.calls, st.errors, st.traces, st.anomalous, st.heat, st.callers] = a as number[];
    const sketch = LogSketch.fromJSON({ o: a[STAT_HEADER], c: a.slice(STAT_HEADER + 1) }, where);
    st.latency.merge(sketch);
    return st;
  }
}

/** Counters before the sketch in an encoded stat (the Lua merge in src/store relies on it). */
export const STAT_HEADER = 6;
