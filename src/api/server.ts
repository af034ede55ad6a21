import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { RedisClient } from '../store/redis-client.js';
import { installAuth, type Role } from './auth.js';
import { installErrorHandlers } from './errors.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import { installRateLimit, type RateLimitOptions } from './rate-limit.js';
import { aggregateRoutes } from './routes/aggregates.js';
import type { AggregateHistory } from '../traffic/minute-buckets.js';
import { anomalyRoutes, type AnomaliesApi } from './routes/anomalies.js';
import { catalogRoutes, type CatalogOptions } from './routes/catalog.js';
import { compareRoutes, type NormalTraffic } from './routes/compare.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes, type HealthStatus } from './routes/health.js';
import { incidentRoutes, type IncidentsApi } from './routes/incidents.js';
import type { IncidentActionsApi } from '../incidents/incident.js';
import { modelRoutes, type ModelsApi } from './routes/models.js';
import { scoreRoutes, type ScoreFn } from './routes/score.js';
import { ingestRoutes, type IngestOptions } from './routes/ingest.js';
import { jaegerSamplingProtocolRoutes, samplingRoutes, type SamplingApi } from './routes/sampling.js';
import { silenceRoutes, type SilencesApi } from './routes/silences.js';
import { sessionRoutes, type SessionsApi } from './routes/sessions.js';
import { incidentDeliveries, webhookRoutes, type WebhooksApi } from './routes/webhooks.js';
import { DEFAULT_UI_DIR, uiRoutes } from './routes/ui.js';
import { whoamiRoutes } from './routes/whoami.js';
import { installZodValidation, type RouteDoc } from './zod-bridge.js';

export interface ApiDeps {
  /** The rate limit's counters (shared by every API replica); health is what the API itself asks of Redis. */
  redis?: RedisClient;
  anomalies?: AnomaliesApi & CatalogOptions['anomalies'];
  /** Normal traffic per endpoint (the training reservoirs, the active models): comparing an anomaly with it. */
  normals?: NormalTraffic;
  incidents?: IncidentsApi;
  /** Acknowledge and resolve incidents by hand (admin). */
  incidentActions?: IncidentActionsApi;
  /** Scored traces grouped by their session attribute. */
  sessions?: SessionsApi;
  /** Per-minute aggregates: the topology and trace-quality routes. */
  aggregates?: AggregateHistory;
  /** Scored traffic per endpoint, for the anomaly rates of /v1/endpoints. */
  traffic?: CatalogOptions['traffic'];
  score?: ScoreFn;
  models?: ModelsApi;
  webhooks?: WebhooksApi;
  /** Silences (no pages about a service or endpoint for a while). */
  silences?: SilencesApi;
  /** Sampling advice for tracers and collectors (open routes). */
  sampling?: SamplingApi;
  /** Push ingestion (OTLP/HTTP, Zipkin collector): takes spans to buffer until their traces settle. */
  ingest?: IngestOptions['ingest'];
  /** Span attributes the push buffer keeps beside the core's (the session attributes). */
  pushKeep?: IngestOptions['keep'];
  /** True when the push buffer is over its bound (pushes then get 503 with Retry-After). */
  pushOverloaded?: IngestOptions['overloaded'];
  health: () => Promise<HealthStatus>;
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
  /** Per-caller limit (100 requests per 5 s); kept in `deps.redis` when given. false turns it off. */
  rateLimit?: RateLimitOptions | false;
  /** Behind a proxy: take the client IP from X-Forwarded-For (for the per-IP rate limit). */
  trustProxy?: boolean;
  /** When given, request counts and durations are recorded in it. */
  registry?: MetricsRegistry;
  version?: string;
  /** The built web UI served at `/` (default dist/ui of the package); false serves none. */
  uiDir?: string | false;
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
 * Our API's version: its route groups are registered under it, so their files say `/anomalies`. Paths that
 * a protocol fixes stay outside it: OTLP/HTTP's `/v1/traces` (the OTLP spec's path, not our version),
 * Zipkin's `/api/v2/spans`, Jaeger's `/api/sampling`, and health, metrics, docs and the UI.
 */
const API_PREFIX = '/v1';

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
    // The doc names the path inside its group; the document lists the full path, prefix and all.
    if (doc && r.method !== 'HEAD') routes.push({ ...doc, url: r.url });
  });
  installZodValidation(app);
  installErrorHandlers(app);
  installAuth(app, deps.apiKeys);
  if (opts.rateLimit !== false) await installRateLimit(app, opts.rateLimit ?? {}, deps.redis);
  if (opts.registry) recordRequests(app, opts.registry);

  await app.register(healthRoutes, { health: deps.health, metrics: deps.metrics });
  await app.register(docsRoutes, { routes, title: 'Tracehound', version: opts.version ?? '0.1.0' });
  if (opts.uiDir !== false) await app.register(uiRoutes, { dir: opts.uiDir ?? DEFAULT_UI_DIR });
  if (deps.ingest) {
    const rejected = opts.registry?.counter(
      'tracehound_ingest_rejected_spans_total',
      'Pushed spans dropped, by route and reason (malformed, time_unreadable, time_out_of_window, duration_too_long)',
      ['route', 'reason'],
    );
    await app.register(ingestRoutes, {
      ingest: deps.ingest,
      keep: deps.pushKeep,
      overloaded: deps.pushOverloaded,
      onRejected: (route, reason, n) => rejected?.inc({ route, reason }, n),
      bodyLimit: opts.scoreBodyLimit,
      maxDecodedBytes: opts.scoreDecodedLimit,
    });
  }
  if (deps.sampling) await app.register(jaegerSamplingProtocolRoutes, { sampling: deps.sampling });
  await app.register(async (v1) => versionedRoutes(v1, deps, opts), { prefix: API_PREFIX });
  await app.ready();
  return app;
}

/** Our own route groups, registered under API_PREFIX. */
async function versionedRoutes(app: FastifyInstance, deps: ApiDeps, opts: ApiOptions): Promise<void> {
  await app.register(whoamiRoutes, { apiKeys: deps.apiKeys });
  if (deps.anomalies) {
    await app.register(anomalyRoutes, { anomalies: deps.anomalies });
    if (deps.normals) await app.register(compareRoutes, { anomalies: deps.anomalies, normals: deps.normals });
    await app.register(catalogRoutes, {
      anomalies: deps.anomalies,
      traffic: deps.traffic,
      models: deps.models,
    });
  }
  const { webhooks } = deps;
  if (deps.incidents)
    await app.register(incidentRoutes, {
      incidents: deps.incidents,
      actions: deps.incidentActions,
      deliveries: webhooks && ((id) => incidentDeliveries(webhooks, id)),
    });
  if (deps.sessions) await app.register(sessionRoutes, { sessions: deps.sessions });
  if (deps.aggregates) await app.register(aggregateRoutes, { aggregates: deps.aggregates });
  if (deps.score)
    await app.register(scoreRoutes, {
      score: deps.score,
      bodyLimit: opts.scoreBodyLimit,
      maxDecodedBytes: opts.scoreDecodedLimit,
    });
  if (deps.models) await app.register(modelRoutes, { models: deps.models });
  if (deps.webhooks) await app.register(webhookRoutes, { webhooks: deps.webhooks });
  if (deps.silences) await app.register(silenceRoutes, { silences: deps.silences });
  if (deps.sampling) await app.register(samplingRoutes, { sampling: deps.sampling });
}
