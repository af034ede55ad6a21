/** A retryable failure; `retryAfterMs` (from Retry-After) is a floor for the next delay. */
export class DeliveryRetryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryRetryError';
  }
}

export interface BackoffOptions {
  /** First retry's upper bound; doubles each attempt. */
  baseMs: number;
  /** Upper bound of any exponential delay. */
  maxMs: number;
  /** Longest Retry-After honoured, so a receiver cannot park a delivery for days. */
  maxRetryAfterMs: number;
  random?: () => number;
}

/**
 * Exponential backoff with jitter in its upper half: uniform in [cap/2, cap], cap = min(max, base·2^(n-1)).
 * The jitter spreads retries of many deliveries failing at once; the floor makes the retries span at least
 * half the nominal schedule. Full jitter ([0, cap]) has no floor: a delivery could spend all its attempts
 * within seconds and be dead-lettered by a receiver that was down for less than a minute. A Retry-After
 * from the receiver raises the delay to at least that long. The signature is BullMQ's BackoffStrategy
 * (attemptsMade counts the failed attempt).
 */
export function jitteredBackoff(opts: BackoffOptions) {
  const random = opts.random ?? Math.random;
  return (attemptsMade: number, _type?: string, err?: Error): number => {
    const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attemptsMade - 1));
    const jittered = Math.floor(cap / 2 + random() * (cap / 2));
    const floor = err instanceof DeliveryRetryError && err.retryAfterMs !== undefined ? err.retryAfterMs : 0;
    return Math.max(jittered, Math.min(floor, opts.maxRetryAfterMs));
  };
}
