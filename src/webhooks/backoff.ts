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
 * Exponential backoff with full jitter (uniform in [0, min(max, base·2^(n-1))]), which spreads retries
 * of many deliveries failing at once; a Retry-After from the receiver raises the delay to at least that long.
 * The signature is BullMQ's BackoffStrategy (attemptsMade counts the failed attempt).
 */
export function fullJitterBackoff(opts: BackoffOptions) {
  const random = opts.random ?? Math.random;
  return (attemptsMade: number, _type?: string, err?: Error): number => {
    const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attemptsMade - 1));
    const jittered = Math.floor(random() * cap);
    const floor = err instanceof DeliveryRetryError && err.retryAfterMs !== undefined ? err.retryAfterMs : 0;
    return Math.max(jittered, Math.min(floor, opts.maxRetryAfterMs));
  };
}
