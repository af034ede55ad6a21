import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { parseHeaders, type Config } from '../config.js';
import { buildApi } from '../api/server.js';
import { parseApiKeys } from '../api/auth.js';
import { payloadScorer } from '../api/routes/score.js';
import { MetricsRegistry } from '../observability/metrics.js';
import { createRedis } from '../jobs/redis.js';
import { JobSystem } from '../jobs/job-system.js';
import { errorOnly } from '../jobs/pipeline.js';
import { ModelCache, ModelRegistry } from '../registry/redis-registry.js';
import { AnomalyStore } from '../store/anomalies.js';
import { AggregateStore } from '../store/aggregates.js';
import { incidentsWiring } from './incidents-wiring.js';
import { TraceReservoir } from '../store/reservoir.js';
import { SpanBuffer } from '../store/span-buffer.js';
import { createSource, Poller, RedisPollerState, type TraceSource } from '../sources/index.js';
import type { BreakerOptions } from '../sources/breaker.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../webhooks/dispatcher.js';
import { WebhookStore } from '../webhooks/store.js';
import { anomalyEvent } from '../webhooks/events.js';
import { modelsApi, webhooksApi } from './adapters.js';

export type Role = 'api' | 'worker' | 'scheduler';

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
  const spanBuffer = new SpanBuffer(redis);
  const webhookStore = new WebhookStore(redis, { allowPrivate: c.TRACEHOUND_WEBHOOK_ALLOW_PRIVATE });
  const dispatcher = new WebhookDispatcher({
    connection: bull,
    store: webhookStore,
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
    reservoir,
    anomalies,
    spanBuffer,
    incidents: incidents.wiring,
    metrics,
    log,
    settings: {
      pollIntervalS: c.TRACEHOUND_POLL_INTERVAL,
      retrainCron: c.TRACEHOUND_RETRAIN_CRON,
      minTrainingTraces: c.TRACEHOUND_MIN_TRAINING_TRACES,
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
  if (roles.has('api')) {
    const apiKeys = parseApiKeys(c.TRACEHOUND_API_KEYS);
    if (apiKeys.size === 0)
      log('warning: TRACEHOUND_API_KEYS is not set: the API is open to anyone who can reach it');
    api = await buildApi(
      {
        redis,
        anomalies,
        aggregates,
        incidents: incidents.store,
        // Synchronous scoring with each endpoint's active model; nothing is stored.
        score: payloadScorer(async (traces) => {
          const scored = [];
          for (const t of traces) {
            const root = t.spans[t.root];
            const m = root ? await models.get(`${root.service}:${root.operation}`) : undefined;
            // An endpoint without a model yet gets what needs no model: its error spans.
            scored.push(...(m ? m.score([t], { explainAll: true }) : [errorOnly(t)]));
          }
          return scored;
        }),
        ingest: async (traces) => {
          await spanBuffer.add(traces.flatMap((t) => t.spans));
        },
        models: modelsApi(registry, jobs),
        webhooks: webhooksApi(webhookStore, dispatcher),
        health: async () => ({
          redis: await redis.ping().then(
            () => true,
            () => false,
          ),
          models: (await registry.endpoints()).length > 0,
        }),
        metrics: () => metrics.render(),
        apiKeys,
      },
      { registry: metrics },
    );
    url = await api.listen({ host: c.HOST, port: c.PORT });
    log(`API listening on ${url} (OpenAPI at ${url}/docs)`);
  }

  return {
    api,
    url,
    jobs,
    async close() {
      await api?.close();
      await jobs.close();
      await dispatcher.close();
      await poller?.close();
      redis.disconnect();
      bull.disconnect();
    },
  };
}
