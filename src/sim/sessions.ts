import { Rng } from './seeded-random.js';

/** Share of requests made inside a user session (the rest: health checks, crawlers, anonymous calls). */
const IN_SESSION = 0.5;
/** How long a session lasts, µs, and how many are open at once: a shopper's visit of a few minutes. */
const SESSION_US = 120e6;
const OPEN_SESSIONS = 30;

/**
 * The `session.id` the root span of trace `k` carries, or undefined for a request outside any session.
 * Drawn from a generator of its own per trace, never from the trace's, so that adding sessions changed no
 * timing, fault or id the simulator made before. Sessions are grouped by time, as visits are: the traces of
 * one session fall within one SESSION_US window after `startUs`.
 */
export function simSessionId(seed: number, k: number, t0: number, startUs: number): string | undefined {
  const rng = new Rng((Math.imul(seed ^ 0x5e55_1011, 0x27d4eb2f) ^ Math.imul(k + 1, 0x165667b1)) >>> 0);
  if (!rng.chance(IN_SESSION)) return undefined;
  const window = Math.floor(Math.max(0, t0 - startUs) / SESSION_US);
  const slot = rng.intBetween(0, OPEN_SESSIONS - 1);
  return `sess-${(seed >>> 0).toString(16)}-${window.toString(36)}-${slot.toString().padStart(2, '0')}`;
}
