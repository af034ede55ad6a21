import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { HealthSchema } from '../schemas.js';
import { PROMETHEUS_CONTENT_TYPE } from '../../observability/metrics.js';
import { defineRoute } from '../zod-bridge.js';

/** What readiness is judged on, plus what is only reported. */
export type HealthStatus = Omit<z.infer<typeof HealthSchema>, 'status'>;

export interface HealthOptions {
  health: () => Promise<HealthStatus>;
  metrics: () => Promise<string>;
}

/** Liveness, readiness and metrics: open (no key), so orchestrators and Prometheus need no secret. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { health, metrics }) => {
  defineRoute(app, {
    method: 'GET',
    url: '/healthz',
    summary: 'Liveness: the process answers',
    tag: 'operations',
    access: 'open',
    responses: { 200: z.object({ status: z.literal('ok') }) },
    handler: async () => ({ status: 'ok' }),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/readyz',
    summary: 'Readiness to take traffic: Redis reachable and the workers running (503 otherwise)',
    tag: 'operations',
    access: 'open',
    responses: { 200: HealthSchema, 503: HealthSchema },
    handler: async (req, reply) => {
      let h: HealthStatus = { redis: false, workers: false, models: false };
      try {
        h = await health();
      } catch (err) {
        req.log.warn({ err }, 'readiness check failed');
      }
      // Not models: before an endpoint has one, its failing traces are still reported (and its traffic
      // is what trains the first model), so a service without models can and must take traffic.
      const ok = h.redis && h.workers;
      reply.status(ok ? 200 : 503);
      return { status: ok ? 'ok' : 'unavailable', ...h };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics (text exposition format 0.0.4)',
    tag: 'operations',
    access: 'open',
    responses: { 200: { contentType: 'text/plain', description: 'Prometheus text format' } },
    handler: async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics()),
  });
};
