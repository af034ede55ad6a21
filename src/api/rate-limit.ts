import type { FastifyInstance } from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import type { RedisClient } from '../store/redis-client.js';
import { routeAccess } from './auth.js';
import { ApiError } from './errors.js';

export interface RateLimitOptions {
  /** Requests per caller per window (default 100). */
  max?: number;
  /** Window length in seconds (default 5). */
  windowS?: number;
}

/**
 * 100 requests per 5 s window: the sustained 20 requests a second and the burst of 100 the token buckets this
 * replaced allowed (a fixed window may let through up to twice that across a window boundary).
 */
export const RATE_LIMIT_DEFAULTS = { max: 100, windowS: 5 } as const;

/** Redis keys of the counters: one per caller and window, expiring with it. */
export const RATE_LIMIT_PREFIX = 'th:rl:';

/**
 * Limits every route that is not open, per API key when one was presented (auth ran before: its digest prefix,
 * never the key itself, ends up in Redis), else per client IP. With Redis the counters live there, so the
 * limit holds across API replicas; without (tests, a CLI-embedded API) they are per process.
 */
export async function installRateLimit(
  app: FastifyInstance,
  opts: RateLimitOptions = {},
  redis?: RedisClient,
): Promise<void> {
  const max = opts.max ?? RATE_LIMIT_DEFAULTS.max;
  await app.register(fastifyRateLimit, {
    max,
    timeWindow: (opts.windowS ?? RATE_LIMIT_DEFAULTS.windowS) * 1000,
    ...(redis && { redis, nameSpace: RATE_LIMIT_PREFIX }),
    // Redis down must not turn every request into a 500 (readiness already reports it): let them through.
    skipOnError: true,
    keyGenerator: (req) => req.principal ?? `ip:${req.ip}`,
    // Open routes (health, metrics, docs, sampling for tracers) are never limited, as before.
    allowList: (req) => routeAccess(req) === 'open',
    // Thrown into our error handler, so the body is the usual { error: { code, message } }.
    errorResponseBuilder: (_req, ctx) =>
      new ApiError(
        429,
        'rate_limited',
        `too many requests (${ctx.max} per window); retry after ${Math.ceil(ctx.ttl / 1000)} s`,
      ),
  });
}
