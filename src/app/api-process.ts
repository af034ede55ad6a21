import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { buildApi } from '../api/server.js';
import { parseApiKeys } from '../api/auth.js';
import { payloadScorer } from '../api/routes/score.js';
import type { PushIntake } from '../api/push-intake.js';
import type { JobSystem } from '../jobs/job-system.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import { scoreWithActiveModels } from '../scoring/active-models.js';
import { samplingOptions } from '../sampling/options.js';
import { SamplingStateStore } from '../store/sampling-state.js';
import type { RedisClient } from '../store/redis-client.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { modelsApi, webhooksApi } from './adapters.js';
import type { IncidentsParts } from './incidents-wiring.js';
import { otlpListeners } from './otlp-listeners.js';
import { SamplingAdvisor } from './sampling.js';
import type { ServiceStores } from './stores.js';

/**
 * Normal traces read to pick the one an anomaly is compared with: enough for the median and the commonest
 * structure, few enough to read and profile within a click (see TraceReservoir.spread).
 */
const NORMAL_SAMPLE = 400;

export interface ApiParts {
  redis: RedisClient;
  stores: ServiceStores;
  dispatcher: WebhookDispatcher;
  incidents: IncidentsParts;
  jobs: JobSystem;
  metrics: MetricsRegistry;
  /** Whether this process runs the workers too (its health then includes them). */
  workers: boolean;
  uiDir?: string;
  log: (msg: string) => void;
}

/** The API role: the HTTP API with the web UI, and the OTLP listeners, all pushing into the span buffer. */
export async function startApi(
  c: Config,
  p: ApiParts,
): Promise<{ api: FastifyInstance; url: string; close(): Promise<void> }> {
  const { redis, stores: s, dispatcher, incidents, jobs, log } = p;
  const intake: PushIntake = {
    ingest: async (spans) => {
      await s.spanBuffer.add(spans);
    },
    keep: c.TRACEHOUND_SESSION_ATTRIBUTES,
    overloaded: async () => (await s.spanBuffer.pending()) >= c.TRACEHOUND_PUSH_MAX_PENDING,
  };
  const apiKeys = parseApiKeys(c.TRACEHOUND_API_KEYS);
  if (apiKeys.size === 0)
    log('warning: TRACEHOUND_API_KEYS is not set: the API is open to anyone who can reach it');
  const api = await buildApi(
    {
      redis,
      anomalies: s.anomalies,
      normals: {
        traces: (endpoint) => s.reservoir.spread(endpoint, NORMAL_SAMPLE),
        baseline: async (endpoint) => (await s.models.get(endpoint))?.baseline,
      },
      aggregates: s.aggregates,
      traffic: s.aggregates,
      incidents: incidents.store,
      incidentActions: incidents.actions,
      sessions: s.sessions,
      score: payloadScorer((traces, opts) => scoreWithActiveModels(s.models, traces, opts)),
      ingest: intake.ingest,
      pushKeep: intake.keep,
      pushOverloaded: intake.overloaded,
      models: modelsApi(s.registry, jobs, {
        reservoir: s.reservoir,
        minTraces: c.TRACEHOUND_MIN_TRAINING_TRACES,
      }),
      sampling: new SamplingAdvisor({
        aggregates: s.aggregates,
        incidents: incidents.store,
        registry: s.registry,
        states: new SamplingStateStore(redis),
        options: samplingOptions({
          budgetTps: c.TRACEHOUND_SAMPLING_BUDGET,
          completeAfterMs: c.TRACEHOUND_INCIDENT_DELAY * 1000,
          targetFpr: c.TRACEHOUND_TARGET_FPR,
        }),
        log,
      }),
      webhooks: webhooksApi(s.webhookStore, dispatcher),
      silences: s.silences,
      health: async () => ({
        redis: await redis.ping().then(
          () => true,
          () => false,
        ),
        workers: !p.workers || (jobs.workersRunning() && dispatcher.workerRunning()),
        models: (await s.registry.endpoints()).length > 0,
      }),
      metrics: () => p.metrics.render(),
      apiKeys,
    },
    // Fastify's pino logger (JSON lines with request ids on stdout): a 5xx is never silent.
    { registry: p.metrics, logger: { level: c.TRACEHOUND_LOG_LEVEL }, uiDir: p.uiDir },
  );
  const url = await api.listen({ host: c.HOST, port: c.PORT });
  log(`API listening on ${url} (OpenAPI at ${url}/docs)`);
  const listeners = await otlpListeners(c, intake, apiKeys, log);
  return {
    api,
    url,
    async close() {
      for (const l of listeners) await l.close();
      await api.close();
    },
  };
}
