import { z } from 'zod';

/**
 * What an aggregate detector reports: one target (an endpoint or an edge) whose per-minute series left its own
 * baseline at one minute. Signals are the only input of the incident tracker, so any detector that can say
 * "this target looks wrong now, this much" can open incidents.
 */
export const SIGNAL_KINDS = [
  /** Share of anomalous traces of an endpoint above its baseline rate. */
  'anomaly-rate',
  /** Error rate of an endpoint or an edge above its baseline. */
  'error-rate',
  /** Latency of an endpoint or an edge growing exponentially over the recent window. */
  'latency-growth',
  /** Latency of an endpoint or an edge shifted above its baseline quantiles. */
  'latency-shift',
  /** Call volume of an edge that stands out, or jumps against its own history (high-traffic area). */
  'traffic-jump',
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const SignalSchema = z.object({
  kind: z.enum(SIGNAL_KINDS),
  /** 'endpoint' targets are `service:operation`; 'edge' targets are `callerService:callerOp->calleeService:calleeOp`. */
  target: z.object({ type: z.enum(['endpoint', 'edge']), key: z.string() }),
  /** Start of the minute the signal fired in, µs since the epoch. */
  minute: z.number().int(),
  /**
   * Minutes the signal's counts cover, ending with `minute`: absent (1) unless a quiet target (too few calls
   * in one minute) was judged on its last few minutes together, so one burst may show in consecutive minutes.
   */
  windowMinutes: z.number().int().positive().optional(),
  /** How far outside the baseline, in the detector's own robust units (>= 1 means fired; larger is stronger). */
  strength: z.number().nonnegative(),
  /** The observed value and the baseline it was compared with, in the kind's units (a rate, ms, calls/min). */
  value: z.number(),
  baseline: z.number(),
  /** One sentence a person can check. */
  evidence: z.string(),
});
export type Signal = z.infer<typeof SignalSchema>;

export const edgeKey = (caller: string, callee: string): string => `${caller}->${callee}`;
export const MINUTE_US = 60_000_000;
export const minuteOf = (us: number): number => Math.floor(us / MINUTE_US) * MINUTE_US;
