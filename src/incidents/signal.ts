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
  /** A service's answers ending earlier than normal: calls that return or throw before doing their work. */
  'early-return',
  /** A service skipping calls it usually makes, or making calls it never made before. */
  'structure-change',
  /** Time between client and server spans of a service pair (queues, the wire, a blocked server) grown. */
  'gap-shift',
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const SignalSchema = z.object({
  kind: z.enum(SIGNAL_KINDS),
  /**
   * 'endpoint' targets are `service:operation`; 'edge' targets are `callerService:callerOp->calleeService:calleeOp`;
   * 'service' targets a service by name (its spans judged against the trained model); 'hop' targets the calls
   * of one service pair, `clientService->serverService`.
   */
  target: z.object({ type: z.enum(['endpoint', 'edge', 'service', 'hop']), key: z.string() }),
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
  /** The service the detector holds responsible, when it can tell (service and hop signals). */
  suspect: z.string().optional(),
  /** What the minute was judged against: the target's recent history, or the trained model's normal. */
  reference: z.enum(['history', 'model']).optional(),
});
export type Signal = z.infer<typeof SignalSchema>;
