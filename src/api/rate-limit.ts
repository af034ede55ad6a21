import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

export interface RateLimitOptions {
  /** Sustained requests per second per caller (default 20). */
  ratePerS?: number;
  /** Bucket size: how many requests may arrive at once (default 100). */
  burst?: number;
  /** Callers tracked at most; idle ones are dropped first (default 10000). */
  maxCallers?: number;
  now?: () => number;
}

/** A token bucket per caller, in memory: per process, which is what one API replica can enforce alone. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: RateLimitOptions = {}) {
    this.rate = opts.ratePerS ?? 20;
    this.burst = opts.burst ?? 100;
    this.max = opts.maxCallers ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Takes a token; returns 0 when allowed, else the seconds until one is available. */
  take(caller: string): number {
    const now = this.now();
    let b = this.buckets.get(caller);
    if (!b) {
      // Least recently used first (Map order): those callers are the likeliest to have refilled anyway.
      for (const k of this.buckets.keys()) {
        if (this.buckets.size < this.max) break;
        this.buckets.delete(k);
      }
      b = { tokens: this.burst, at: now };
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
      b.at = now;
    }
    // Re-inserted so Map order stays least-recently-used first.
    this.buckets.delete(caller);
    this.buckets.set(caller, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.rate);
  }
}

/** Limits every route that is not open, per API key when there is one, else per client IP. */
export function installRateLimit(app: FastifyInstance, opts: RateLimitOptions = {}): void {
  const buckets = new TokenBuckets(opts);
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.doc?.access === 'open') return;
    const wait = buckets.take(req.principal ?? `ip:${req.ip}`);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new ApiError(429, 'rate_limited', `too many requests; retry after ${wait} s`);
    }
  });
}
