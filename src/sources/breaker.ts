/**
 * Backoff and a circuit breaker for one backend, on an injected clock (µs). Closed: polls run. After
 * `threshold` consecutive failures it opens and nothing runs for `cooldownS`; then it is half-open and lets
 * one poll through: success closes it, failure opens it again. Between failures while closed, polls wait an
 * exponentially growing, capped delay, so a flapping backend is not hammered before the breaker trips.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker (default 5). */
  threshold?: number;
  /** Seconds the breaker stays open before a trial (default 60). */
  cooldownS?: number;
  /** First backoff delay, s (default 1), doubled per failure up to `maxBackoffS` (default 60). */
  baseBackoffS?: number;
  maxBackoffS?: number;
}

export class Breaker {
  private failures = 0;
  private openedAt = 0;
  private nextTry = 0;
  private opened = false;
  private trialInFlight = false;
  /** How often it opened, for metrics. */
  opens = 0;
  private readonly threshold: number;
  private readonly cooldownUs: number;
  private readonly baseUs: number;
  private readonly maxUs: number;

  constructor(opts: BreakerOptions = {}) {
    this.threshold = opts.threshold ?? 5;
    this.cooldownUs = (opts.cooldownS ?? 60) * 1e6;
    this.baseUs = (opts.baseBackoffS ?? 1) * 1e6;
    this.maxUs = (opts.maxBackoffS ?? 60) * 1e6;
  }

  state(nowUs: number): BreakerState {
    if (!this.opened) return 'closed';
    return nowUs - this.openedAt >= this.cooldownUs ? 'half-open' : 'open';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Whether a poll may run now; a half-open breaker admits one poll until it reports back. */
  allow(nowUs: number): { ok: true } | { ok: false; reason: 'breaker-open' | 'backoff'; retryAtUs: number } {
    const s = this.state(nowUs);
    if (s === 'open')
      return { ok: false, reason: 'breaker-open', retryAtUs: this.openedAt + this.cooldownUs };
    if (s === 'half-open') {
      if (this.trialInFlight)
        return { ok: false, reason: 'breaker-open', retryAtUs: nowUs + this.cooldownUs };
      this.trialInFlight = true;
      return { ok: true };
    }
    if (nowUs < this.nextTry) return { ok: false, reason: 'backoff', retryAtUs: this.nextTry };
    return { ok: true };
  }

  success(): void {
    this.failures = 0;
    this.opened = false;
    this.trialInFlight = false;
    this.nextTry = 0;
  }

  failure(nowUs: number): void {
    this.failures++;
    this.trialInFlight = false;
    if (this.opened || this.failures >= this.threshold) {
      if (!this.opened) this.opens++;
      else if (this.state(nowUs) === 'half-open') this.opens++;
      this.opened = true;
      this.openedAt = nowUs;
      return;
    }
    const delay = Math.min(this.maxUs, this.baseUs * 2 ** (this.failures - 1));
    this.nextTry = nowUs + delay;
  }
}
