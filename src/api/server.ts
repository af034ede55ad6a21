import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { RedisClient } from '../store/redis-client.js';
import { installAuth, type Role } from './auth.js';
import { installErrorHandlers } from './errors.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import { installRateLimit, type RateLimitOptions } from './rate-limit.js';
import { aggregateRoutes, type AggregatesApi } from './routes/aggregates.js';
import { anomalyRoutes, type AnomaliesApi } from './routes/anomalies.js';
import { catalogRoutes, type CatalogOptions } from './routes/catalog.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { incidentRoutes, type IncidentsApi } from './routes/incidents.js';
import { modelRoutes, type ModelsApi } from './routes/models.js';
import { scoreRoutes, type ScoreFn } from './routes/score.js';
import { ingestRoutes, type IngestOptions } from './routes/ingest.js';
import { webhookRoutes, type WebhooksApi } from './routes/webhooks.js';
import { installZodValidation, type RouteDoc } from './zod-bridge.js';

export interface ApiDeps {
  /** Kept for plugins that need Redis directly; health is what the API itself asks of it. */
  redis?: RedisClient;
  anomalies?: AnomaliesApi & CatalogOptions['anomalies'];
  incidents?: IncidentsApi;
  /** Per-minute aggregates: the topology and trace-quality routes. */
  aggregates?: AggregatesApi;
  score?: ScoreFn;
  models?: ModelsApi;
  webhooks?: WebhooksApi;
  /** Push ingestion (OTLP/HTTP, Zipkin collector): takes traces to buffer until they settle. */
  ingest?: IngestOptions['ingest'];
  health: () => Promise<{ redis: boolean; models: boolean }>;
  metrics: () => Promise<string>;
  /** Empty: auth is off (a warning says so at start). */
  apiKeys: ReadonlyMap<string, Role>;
}

export interface ApiOptions {
  logger?: FastifyServerOptions['logger'];
  /** Default body limit (1 MiB). */
  bodyLimit?: number;
  /** /v1/score body limit on the wire (16 MiB). */
  scoreBodyLimit?: number;
  /** /v1/score limit after decompression (128 MiB). */
  scoreDecodedLimit?: number;
  /** false turns it off. */
  rateLimit?: RateLimitOptions | false;
  /** Behind a proxy: take the client IP from X-Forwarded-For (for the per-IP rate limit). */
  trustProxy?: boolean;
  /** When given, request counts and durations are recorded in it. */
  registry?: MetricsRegistry;
  version?: string;
}

function recordRequests(app: FastifyInstance, registry: MetricsRegistry): void {
  const duration = registry.histogram(
    'tracehound_http_request_duration_seconds',
    'HTTP request duration by route and status',
    ['method', 'route', 'status'],
  );
  app.addHook('onResponse', async (req, reply) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}

/**
 * The HTTP API. Each route group is a plugin taking only what it needs; a group whose dependency is absent
 * is not registered (and so is absent from the OpenAPI document too).
 */
export async function buildApi(deps: ApiDeps, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    trustProxy: opts.trustProxy ?? false,
  });
  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (r) => {
    const doc = r.config?.doc;
    if (doc && r.method !== 'HEAD') routes.push(doc);
  });
  installZodValidation(app);
  installErrorHandlers(app);
  installAuth(app, deps.apiKeys);
  if (opts.rateLimit !== false) installRateLimit(app, opts.rateLimit ?? {});
  if (opts.registry) recordRequests(app, opts.registry);

  await app.register(healthRoutes, { health: deps.health, metrics: deps.metrics });
  await app.register(docsRoutes, { routes, title: 'Tracehound', version: opts.version ?? '0.1.0' });
  if (deps.anomalies) {
    await app.register(anomalyRoutes, { anomalies: deps.anomalies });
    await app.register(catalogRoutes, { anomalies: deps.anomalies, models: deps.models });
  }
  if (deps.incidents) await app.register(incidentRoutes, { incidents: deps.incidents });
  if (deps.aggregates) await app.register(aggregateRoutes, { aggregates: deps.aggregates });
  if (deps.score)
    await app.register(scoreRoutes, {
      score: deps.score,
      bodyLimit: opts.scoreBodyLimit,
      maxDecodedBytes: opts.scoreDecodedLimit,
    });
  if (deps.ingest)
    await app.register(ingestRoutes, {
      ingest: deps.ingest,
      bodyLimit: opts.scoreBodyLimit,
      maxDecodedBytes: opts.scoreDecodedLimit,
    });
  if (deps.models) await app.register(modelRoutes, { models: deps.models });
  if (deps.webhooks) await app.register(webhookRoutes, { webhooks: deps.webhooks });
  await app.ready();
  return app;
}
