import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { JaegerStrategySchema, type JaegerStrategy } from '../../sampling/jaeger.js';
import { TailSamplingConfigSchema, tailSamplingYaml, type TailSamplingConfig } from '../../sampling/tail.js';
import { ErrorSchema } from '../errors.js';
import { defineRoute } from '../zod-bridge.js';

/** What the sampling routes need: advice per service, and the Collector's policies. */
export interface SamplingApi {
  jaeger(service: string): Promise<JaegerStrategy>;
  tailSampling(): Promise<{ config: TailSamplingConfig; generatedAt: Date }>;
}

// Lenient about other parameters: tracers of several generations poll this, and some add their own.
const ServiceQuery = z.object({
  service: z
    .string()
    .trim()
    .min(1, 'name the service: ?service=NAME')
    .max(256)
    .describe('The service whose tracers ask (their service.name)'),
});
type ServiceQuery = z.output<typeof ServiceQuery>;

const jaegerStrategyRoute = (app: FastifyInstance, sampling: SamplingApi, url: string, summary: string) =>
  defineRoute<unknown, ServiceQuery>(app, {
    method: 'GET',
    url,
    summary,
    tag: 'sampling',
    access: 'open',
    query: ServiceQuery,
    responses: { 200: JaegerStrategySchema, 400: ErrorSchema },
    handler: async (req) => sampling.jaeger(req.query.service),
  });

/**
 * Jaeger's remote sampling at Jaeger's own path, outside our API's version prefix: a sampler pointed at
 * `<tracehound>/api` asks `/api/sampling`, as it would ask a Jaeger agent or collector.
 */
export const jaegerSamplingProtocolRoutes: FastifyPluginAsync<{ sampling: SamplingApi }> = async (
  app,
  { sampling },
) =>
  jaegerStrategyRoute(
    app,
    sampling,
    '/api/sampling',
    "A service's Jaeger remote sampling strategy, at Jaeger's own path (point a sampler's endpoint at /api)",
  );

/**
 * Sampling advice in the formats tracers and collectors already read. Open like /healthz: Jaeger SDKs, the
 * OpenTelemetry remote sampler and the Collector's HTTP config provider cannot send an API key (see README).
 */
export const samplingRoutes: FastifyPluginAsync<{ sampling: SamplingApi }> = async (app, { sampling }) => {
  jaegerStrategyRoute(
    app,
    sampling,
    '/sampling/jaeger',
    "A service's Jaeger remote sampling strategy: per-operation probabilities within its budget",
  );

  defineRoute(app, {
    method: 'GET',
    url: '/sampling/otel-tail-sampling',
    summary:
      "The Collector's tail_sampling policies (YAML, a partial configuration to merge): errors, open incidents, traces over each endpoint's learned p99, a share of the rest",
    tag: 'sampling',
    access: 'open',
    responses: {
      200: {
        contentType: 'application/yaml',
        description: 'Collector configuration',
        schema: TailSamplingConfigSchema,
      },
    },
    handler: async (_req, reply) => {
      const { config, generatedAt } = await sampling.tailSampling();
      return reply.type('application/yaml; charset=utf-8').send(tailSamplingYaml(config, generatedAt));
    },
  });
};
