import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { parseHeaders, type Config } from '../config.js';
import { buildApi } from '../api/server.js';
import { parseApiKeys } from '../api/auth.js';
import { payloadScorer } from '../api/routes/score.js';
import { MetricsRegistry } from '../observability/metrics.js';
import { createRedis, redisWhere } from '../jobs/redis.js';
import { waitForRedis } from './wait-for-redis.js';
import { otlpListeners } from './otlp-listeners.js';
import type { PushIntake } from '../api/push-intake.js';
import { JobSystem } from '../jobs/job-system.js';
import { errorOnly } from '../jobs/pipeline.js';
import { ModelCache, ModelRegistry } from '../registry/redis-registry.js';
import { AnomalyStore } from '../store/anomalies.js';
import { AggregateStore } from '../store/aggregates.js';
import { incidentsWiring } from './incidents-wiring.js';
import { TraceReservoir } from '../store/reservoir.js';
import { SpanBuffer } from '../store/span-buffer.js';
import { SessionStore } from '../store/sessions.js';
import { createSource, Poller, RedisPollerState, type TraceSource } from '../sources/index.js';
import type { BreakerOptions } from '../sources/breaker.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../webhooks/dispatcher.js';
import { SilenceStore } from '../store/silences.js';
import { WebhookStore } from '../webhooks/store.js';
import { anomalyEvent } from '../webhooks/events.js';
import { modelsApi, webhooksApi } from './adapters.js';
import { SamplingAdvisor } from './sampling.js';
import { samplingOptions } from '../sampling/options.js';
import { SamplingStateStore } from '../store/sampling-state.js';
import { endpointKeyOf } from '../trace/endpoint-key.js';

export type Role = 'api' | 'worker' | 'scheduler';

/**
 * Normal traces read to pick the one an anomaly is compared with: enough for the median and the commonest
 * structure, few enough to read and profile within a click (see TraceReservoir.spread).
 */
const NORMAL_SAMPLE = 400;

/** Knobs below the configuration, for tests and benchmarks: the defaults suit production. */
export interface ServiceTuning {
  /** Source backoff and circuit breaker. */
  breaker?: BreakerOptions;
  /** BullMQ job lock, ms: how soon a crashed worker's jobs go to another worker (default 30 000). */
  jobLockMs?: number;
  /** Traces per score job (default 200) and score jobs run at once per process (default 2). */
  scoreBatch?: number;
  scoreConcurrency?: number;
  webhooks?: Pick<
    WebhookDispatcherOptions,
    'attempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'timeoutMs' | 'concurrency'
  >;
  /** Where the built web UI is (default dist/ui, which `npm run build` writes). */
  uiDir?: string;
}

export interface RunningService {
  api?: FastifyInstance;
  url?: string;
  jobs: JobSystem;
  close(): Promise<void>;
}

function sourcesFrom(c: Config): TraceSource[] {
  const tls = {
    ca: c.TRACEHOUND_TLS_CA_FILE ? readFileSync(c.TRACEHOUND_TLS_CA_FILE) : undefined,
    rejectUnauthorized: !c.TRACEHOUND_TLS_INSECURE,
  };
  const out: TraceSource[] = [];
  if (c.TRACEHOUND_JAEGER_URL)
    out.push(
      createSource(c.TRACEHOUND_JAEGER_API === 'v3' ? 'jaeger-v3' : 'jaeger-v1', {
        name: 'jaeger',
        baseUrl: c.TRACEHOUND_JAEGER_URL,
        uiUrl: c.TRACEHOUND_JAEGER_UI_URL,
        headers: parseHeaders(c.TRACEHOUND_JAEGER_HEADERS),
        tls,
      }),
    );
  if (c.TRACEHOUND_ZIPKIN_URL)
    out.push(
      createSource('zipkin', {
        name: 'zipkin',
        baseUrl: c.TRACEHOUND_ZIPKIN_URL,
        uiUrl: c.TRACEHOUND_ZIPKIN_UI_URL,
        headers: parseHeaders(c.TRACEHOUND_ZIPKIN_HEADERS),
        tls,
      }),
    );
  return out;
}

/**
 * Runs the service's roles in this process: the HTTP API, the workers, the schedulers. Many processes on
 * many machines may share one Redis: each role is safe to run more than once.
 */
export async function startService(
  c: Config,
  roles: ReadonlySet<Role>,
  log: (msg: string) => void = (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`),
  tuning: ServiceTuning = {},
): Promise<RunningService> {
  const target = { url: c.REDIS_URL, clusterNodes: c.REDIS_CLUSTER_NODES };
  // Nothing else starts until Redis answers: BullMQ would otherwise wait silently and the API never listen.
  const probe = createRedis(target);
  try {
    await waitForRedis(probe, redisWhere(target), c.TRACEHOUND_REDIS_WAIT, log);
  } finally {
    probe.disconnect();
  }
  const redis = createRedis(target, log);
  const bull = createRedis(target, log);
  const metrics = new MetricsRegistry();
  const anomalies = new AnomalyStore(redis, { maxAgeS: c.TRACEHOUND_RETENTION_DAYS * 86400 });
  const reservoir = new TraceReservoir(redis);
  const aggregates = new AggregateStore(redis, {
    retentionS: c.TRACEHOUND_AGGREGATE_RETENTION_HOURS * 3600,
  });
  const registry = new ModelRegistry(redis);
  const models = new ModelCache(registry);
  const sessionAttributes = c.TRACEHOUND_SESSION_ATTRIBUTES;
  const spanBuffer = new SpanBuffer(redis, undefined, sessionAttributes);
  const sessions = new SessionStore(redis, { maxAgeS: c.TRACEHOUND_RETENTION_DAYS * 86400 });
  const webhookStore = new WebhookStore(redis, { allowPrivate: c.TRACEHOUND_WEBHOOK_ALLOW_PRIVATE });
  const silences = new SilenceStore(redis);
  const dispatcher = new WebhookDispatcher({
    connection: bull,
    store: webhookStore,
    silences,
    allowPrivate: c.TRACEHOUND_WEBHOOK_ALLOW_PRIVATE,
    lockDurationMs: tuning.jobLockMs,
    log,
    ...tuning.webhooks,
  });
  const sources = sourcesFrom(c);
  const pollState = new RedisPollerState(redis);
  const incidents = incidentsWiring(c, {
    redis,
    dispatcher,
    history: aggregates,
    pollState: sources.length ? pollState : undefined,
    log,
  });
  const poller = sources.length
    ? new Poller(sources, pollState, {
        overlapS: c.TRACEHOUND_POLL_OVERLAP,
        settleS: c.TRACEHOUND_POLL_SETTLE,
        limit: c.TRACEHOUND_POLL_LIMIT,
        initialLookbackS: c.TRACEHOUND_INITIAL_LOOKBACK,
        breaker: tuning.breaker,
      })
    : undefined;
  const pipeline = {
    models,
    anomalies,
    reservoir,
    aggregates,
    evidence: incidents.evidence,
    sessions: { store: sessions, attributes: sessionAttributes },
    minTrainingTraces: c.TRACEHOUND_MIN_TRAINING_TRACES,
    notify: async (a: Parameters<typeof anomalyEvent>[0]) => {
      await dispatcher.enqueue(anomalyEvent(a));
    },
  };
  const jobs = new JobSystem({
    connection: bull,
    sources,
    poller,
    pipeline,
    registry,
    spanBuffer,
    incidents: incidents.wiring,
    metrics,
    log,
    settings: {
      pollIntervalS: c.TRACEHOUND_POLL_INTERVAL,
      retrainCron: c.TRACEHOUND_RETRAIN_CRON,
      targetFpr: c.TRACEHOUND_TARGET_FPR,
      pushSettleS: c.TRACEHOUND_POLL_SETTLE,
      retentionS: c.TRACEHOUND_RETENTION_DAYS * 86400,
      retentionMax: c.TRACEHOUND_RETENTION_MAX,
      jobLockMs: tuning.jobLockMs,
      scoreBatch: tuning.scoreBatch,
      scoreConcurrency: tuning.scoreConcurrency,
    },
  });
  if (roles.has('scheduler')) await jobs.schedule();
  if (roles.has('worker')) {
    jobs.start();
    dispatcher.startWorker();
  }

  let api: FastifyInstance | undefined;
  let url: string | undefined;
  let extra: Array<{ close(): Promise<void> }> = [];
  const intake: PushIntake = {
    ingest: async (traces) => {
      await spanBuffer.add(traces.flatMap((t) => t.spans));
    },
    overloaded: async () => (await spanBuffer.pending()) >= c.TRACEHOUND_PUSH_MAX_PENDING,
  };
  if (roles.has('api')) {
    const apiKeys = parseApiKeys(c.TRACEHOUND_API_KEYS);
    if (apiKeys.size === 0)
      log('warning: TRACEHOUND_API_KEYS is not set: the API is open to anyone who can reach it');
    api = await buildApi(
      {
        redis,
        anomalies,
        normals: {
          traces: (endpoint) => reservoir.spread(endpoint, NORMAL_SAMPLE),
          baseline: async (endpoint) => (await models.get(endpoint))?.baseline,
        },
        aggregates,
        traffic: aggregates,
        incidents: incidents.store,
        incidentActions: incidents.actions,
        sessions,
        // Synchronous scoring with each endpoint's active model; nothing is stored.
        score: payloadScorer(async (traces, opts) => {
          const scored = [];
          for (const t of traces) {
            const m = t.spans[t.root] ? await models.get(endpointKeyOf(t)) : undefined;
            // An endpoint without a model yet gets what needs no model: its error spans.
            scored.push(...(m ? m.score([t], opts) : [errorOnly(t)]));
          }
          return scored;
        }),
        ingest: intake.ingest,
        pushOverloaded: intake.overloaded,
        models: modelsApi(registry, jobs, { reservoir, minTraces: c.TRACEHOUND_MIN_TRAINING_TRACES }),
        sampling: new SamplingAdvisor({
          aggregates,
          incidents: incidents.store,
          registry,
          states: new SamplingStateStore(redis),
          options: samplingOptions({
            budgetTps: c.TRACEHOUND_SAMPLING_BUDGET,
            completeAfterMs: c.TRACEHOUND_INCIDENT_DELAY * 1000,
            targetFpr: c.TRACEHOUND_TARGET_FPR,
          }),
          log,
        }),
        webhooks: webhooksApi(webhookStore, dispatcher),
        silences,
        health: async () => ({
          redis: await redis.ping().then(
            () => true,
            () => false,
          ),
          workers: !roles.has('worker') || (jobs.workersRunning() && dispatcher.workerRunning()),
          models: (await registry.endpoints()).length > 0,
        }),
        metrics: () => metrics.render(),
        apiKeys,
      },
      // Fastify's pino logger (JSON lines with request ids on stdout): a 5xx is never silent.
      { registry: metrics, logger: { level: c.TRACEHOUND_LOG_LEVEL }, uiDir: tuning.uiDir },
    );
    url = await api.listen({ host: c.HOST, port: c.PORT });
    log(`API listening on ${url} (OpenAPI at ${url}/docs)`);
    extra = await otlpListeners(c, intake, apiKeys, log);
  }

  return {
    api,
    url,
    jobs,
    async close() {
      for (const l of extra) await l.close();
      await api?.close();
      await jobs.close();
      await dispatcher.close();
      await poller?.close();
      redis.disconnect();
      bull.disconnect();
    },
  };
}
