import { z } from 'zod';
import type { MinuteBucket } from './minute-buckets.js';
import { MINUTE_US } from './minute.js';
import { isoFromMicros } from '../trace/iso-time.js';

export const AnomalyRateSchema = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  /** Seconds per point: a minute, or more when the window holds more minutes than points allowed. */
  stepS: z.number().int().positive(),
  /** Start of each point's step, ISO 8601 (the same for every series). */
  times: z.array(z.iso.datetime()),
  series: z.array(
    z.object({
      endpoint: z.string(),
      /** Per step: traces the endpoint served, and how many of them the detectors called anomalous. */
      traces: z.array(z.number().int().nonnegative()),
      anomalous: z.array(z.number().int().nonnegative()),
    }),
  ),
});
export type AnomalyRate = z.infer<typeof AnomalyRateSchema>;

export interface AnomalyRateOptions {
  /** Only this endpoint; else the `limit` endpoints with the most anomalous traces (then the most traffic). */
  endpoint?: string;
  limit: number;
  /** At most this many points per series: longer windows take several minutes a point. */
  maxPoints: number;
}

/**
 * Anomalous and total traces per endpoint over a window, from the per-minute aggregates: what the anomaly
 * list charts above its rows. Reads buckets, never anomalies, so its cost is the window's, not the store's.
 */
export function anomalyRate(
  buckets: readonly MinuteBucket[],
  w: { from: number; to: number },
  o: AnomalyRateOptions,
): AnomalyRate {
  const minutes = Math.max(1, Math.ceil((w.to - w.from) / MINUTE_US));
  const perPoint = Math.ceil(minutes / o.maxPoints);
  const points = Math.ceil(minutes / perPoint);
  const step = perPoint * MINUTE_US;
  const totals = new Map<string, { traces: number; anomalous: number }>();
  for (const b of buckets)
    for (const [ep, s] of b.endpoints) {
      if (o.endpoint !== undefined && ep !== o.endpoint) continue;
      const t = totals.get(ep) ?? { traces: 0, anomalous: 0 };
      t.traces += s.traces;
      t.anomalous += s.anomalous;
      totals.set(ep, t);
    }
  const chosen = [...totals]
    .sort((a, b) => b[1].anomalous - a[1].anomalous || b[1].traces - a[1].traces || (a[0] < b[0] ? -1 : 1))
    .slice(0, o.limit)
    .map(([ep]) => ep);
  const series = chosen.map((endpoint) => ({
    endpoint,
    traces: new Array<number>(points).fill(0),
    anomalous: new Array<number>(points).fill(0),
  }));
  const at = new Map(series.map((s) => [s.endpoint, s]));
  for (const b of buckets) {
    const i = Math.floor((b.minute - w.from) / step);
    if (i < 0 || i >= points) continue;
    for (const [ep, s] of b.endpoints) {
      const line = at.get(ep);
      if (line === undefined) continue;
      line.traces[i] += s.traces;
      line.anomalous[i] += s.anomalous;
    }
  }
  return {
    from: isoFromMicros(w.from),
    to: isoFromMicros(w.to),
    stepS: perPoint * 60,
    times: Array.from({ length: points }, (_, i) => isoFromMicros(w.from + i * step)),
    series,
  };
}
