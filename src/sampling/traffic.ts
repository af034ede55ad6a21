import type { MinuteBucket } from '../traffic/minute-buckets.js';
import { MINUTE_US, minuteOf } from '../traffic/minute.js';
import type { SamplingOptions } from './options.js';
import { parseEndpointKey } from '../trace/endpoint-key.js';

/** The spans of time advice reads, µs: [historyFrom, rateFrom) history, [rateFrom, rateTo) complete minutes. */
export interface AdviceWindows {
  historyFrom: number;
  rateFrom: number;
  /** Exclusive: minutes from here on may still be missing traces. */
  rateTo: number;
  now: number;
}

type WindowOptions = Pick<SamplingOptions, 'windowMinutes' | 'historyMinutes' | 'completeAfterMs'>;

export function adviceWindows(nowMs: number, o: WindowOptions): AdviceWindows {
  const rateTo = minuteOf((nowMs - o.completeAfterMs) * 1000);
  const rateFrom = rateTo - o.windowMinutes * MINUTE_US;
  return { historyFrom: rateFrom - o.historyMinutes * MINUTE_US, rateFrom, rateTo, now: nowMs * 1000 };
}

/** What Tracehound knows of one operation a service starts traces with (one endpoint). */
export interface OperationTraffic {
  operation: string;
  /** Traces per second the tracers started, before sampling (seen traces divided by what they were served). */
  rate: number;
  /** Traces seen in the window (complete minutes and the fresh ones after them). */
  seen: number;
  anomalous: number;
  /** Errors among the seen traces. */
  errors: number;
  /** The window's share of anomalous traces, pulled towards the normal one by `shrinkTraces` pseudo-traces. */
  anomalyRate: number;
  /**
   * That over the operation's normal rate (its history, itself pulled towards the models' target rate):
   * 1 is normal, 3 is three times as many.
   */
  lift: number;
}

interface Tally {
  rateTraces: number;
  seen: number;
  anomalous: number;
  errors: number;
  histTraces: number;
  histAnomalous: number;
}

/** The operation of an endpoint key when the key is one of `service`'s (the operations it starts traces with). */
export function operationOf(endpoint: string, service: string): string | undefined {
  const ep = parseEndpointKey(endpoint);
  return ep?.service === service ? ep.operation : undefined;
}

/**
 * Per operation of `service`, from the stored minutes (and how many complete minutes held any data): the rate over the complete minutes of the window, each
 * minute's traces divided by the probability served then (`served`, given the minute's middle in ms); the
 * anomaly rates over the window including the fresh minutes (a share is right even while a minute fills).
 * Minutes with no data at all (Tracehound itself behind) are left out rather than counted as silence.
 */
export function serviceTraffic(
  buckets: readonly MinuteBucket[],
  service: string,
  w: AdviceWindows,
  served: (operation: string, atMs: number) => number,
  o: Pick<SamplingOptions, 'targetFpr' | 'shrinkTraces'>,
): { operations: OperationTraffic[]; rateMinutes: number } {
  const tallies = new Map<string, Tally>();
  let rateMinutes = 0;
  for (const b of buckets) {
    if (b.minute < w.historyFrom || b.minute > w.now) continue;
    const inRate = b.minute >= w.rateFrom && b.minute < w.rateTo;
    if (inRate) rateMinutes++;
    for (const [key, s] of b.endpoints) {
      const op = operationOf(key, service);
      if (op === undefined) continue;
      let t = tallies.get(op);
      if (t === undefined)
        tallies.set(
          op,
          (t = { rateTraces: 0, seen: 0, anomalous: 0, errors: 0, histTraces: 0, histAnomalous: 0 }),
        );
      if (b.minute < w.rateFrom) {
        t.histTraces += s.traces;
        t.histAnomalous += s.anomalous;
        continue;
      }
      t.seen += s.traces;
      t.anomalous += s.anomalous;
      t.errors += s.errors;
      if (inRate && s.traces > 0) t.rateTraces += s.traces / served(op, (b.minute + MINUTE_US / 2) / 1000);
    }
  }
  const out: OperationTraffic[] = [];
  for (const [operation, t] of tallies) {
    if (t.seen === 0) continue;
    const m = o.shrinkTraces;
    const normal = (t.histAnomalous + m * o.targetFpr) / (t.histTraces + m);
    const now = (t.anomalous + m * normal) / (t.seen + m);
    out.push({
      operation,
      rate: rateMinutes > 0 ? t.rateTraces / (rateMinutes * 60) : 0,
      seen: t.seen,
      anomalous: t.anomalous,
      errors: t.errors,
      anomalyRate: now,
      lift: now / normal,
    });
  }
  out.sort((a, b) => (a.operation < b.operation ? -1 : 1));
  return { operations: out, rateMinutes };
}
