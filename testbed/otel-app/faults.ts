/** The faults the testbed's services can be switched into, and what they report having done. */
import { z } from 'zod';

export const FaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  /** Every request of the service takes `ms` longer (its own time, before it answers). */
  z.object({ kind: z.literal('latency'), ms: z.number().positive() }),
  /** This share of the service's requests fail with HTTP 500. */
  z.object({ kind: z.literal('errors'), rate: z.number().gt(0).lte(1) }),
  /** The event loop is blocked by a busy loop for `busyMs`, then free for `idleMs`, over and over. */
  z.object({ kind: z.literal('hog'), busyMs: z.number().positive(), idleMs: z.number().nonnegative() }),
]);
export type Fault = z.infer<typeof FaultSchema>;
export type FaultKind = Exclude<Fault['kind'], 'none'>;

/** One request a fault changed: the ground truth of the per-trace figures. */
export interface Injected {
  traceId: string;
  service: string;
  kind: FaultKind;
  /** Wall-clock ms. */
  at: number;
}

/** A moment a service's process could not run, not caused by an injected fault (see services/stall-watch.ts). */
export interface Stall {
  service: string;
  /** Wall-clock ms. */
  start: number;
  end: number;
}
