import { MinuteBucket } from '../../src/traffic/minute-buckets.js';
import { MINUTE_US } from '../../src/traffic/minute.js';
import { TargetStat } from '../../src/traffic/target-stat.js';

export interface EndpointMinute {
  traces: number;
  anomalous?: number;
  errors?: number;
  /** Every trace's root duration, µs (default 20 ms). */
  latencyUs?: number;
  /** Traces (of `traces`) that took `slowUs` instead. */
  slow?: number;
  slowUs?: number;
}

/** One stored minute with the given endpoint counts (`service:operation` keys). */
export function minuteOf(minuteUs: number, endpoints: Record<string, EndpointMinute>): MinuteBucket {
  const b = new MinuteBucket(minuteUs);
  for (const [key, e] of Object.entries(endpoints)) {
    const s = new TargetStat();
    s.calls = s.traces = e.traces;
    s.anomalous = e.anomalous ?? 0;
    s.errors = e.errors ?? 0;
    const slow = e.slow ?? 0;
    if (e.traces - slow > 0) s.latency.add(e.latencyUs ?? 20_000, e.traces - slow);
    if (slow > 0) s.latency.add(e.slowUs ?? 1_000_000, slow);
    b.endpoints.set(key, s);
  }
  return b;
}

/** `count` consecutive minutes ending before `endUs`, each made by `at(minuteUs)`. */
export function minutesBefore(
  endUs: number,
  count: number,
  at: (minuteUs: number) => Record<string, EndpointMinute>,
): MinuteBucket[] {
  const first = Math.floor(endUs / MINUTE_US) * MINUTE_US - count * MINUTE_US;
  return Array.from({ length: count }, (_, i) => minuteOf(first + i * MINUTE_US, at(first + i * MINUTE_US)));
}
