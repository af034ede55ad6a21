import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { parseHeaders, type Config } from '../config.js';
import { MetricsRegistry } from '../observability/metrics.js';
import { createRedis, redisWhere } from '../jobs/redis.js';
import { waitForRedis } from './wait-for-redis.js';
import { JobSystem } from '../jobs/job-system.js';
import { incidentsWiring } from './incidents-wiring.js';
import { openStores } from './stores.js';
import { startApi } from './api-process.js';
import {
  createSource,
  Poller,
  RedisPollerState,
  type PollerOptions,
  type TraceSource,
} from '../sources/index.js';
import type { BreakerOptions } from '../sources/breaker.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../webhooks/dispatcher.js';
import { anomalyEvent } from '../webhooks/events.js';

export type Role = 'api' | 'worker' | 'scheduler';

/**
 * The least overlap a poll re-reads once it has measured that traces arrive on time: the settle time
 * already waits for traces to finish and be stored, this second covers clocks and the poll's own timing.
 */
const MIN_OVERLAP_S = 1;

/** Knobs below the configuration, for tests and benchmarks: the defaults suit production. */
export interface ServiceTuning {
  /** Source backoff and circuit breaker. */
  breaker?: BreakerOptions;
  /** The poller's options beyond the configuration (sweeps, the learned overlap). */
  poller?: Pick<PollerOptions, 'sweepEvery' | 'minOverlapS' | 'fullOverlapEvery'>;
  /** BullMQ job lock, ms: how soon a crashed worker's jobs go to another worker (default 30 000). */
  jobLockMs?: number;
  /** Traces per score job (default 500) and score jobs run at once per process (default 2). */
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
  const stores = openStores(c, redis);
  const { anomalies, reservoir, aggregates, registry, models, spanBuffer, sessions } = stores;
  const dispatcher = new WebhookDispatcher({
    connection: bull,
    store: stores.webhookStore,
    silences: stores.silences,
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
        intervalS: c.TRACEHOUND_POLL_INTERVAL,
        minOverlapS: MIN_OVERLAP_S,
        breaker: tuning.breaker,
        ...tuning.poller,
      })
    : undefined;
  const pipeline = {
    models,
    anomalies,
    reservoir,
    aggregates,
    evidence: incidents.evidence,
    sessions: { store: sessions, attributes: c.TRACEHOUND_SESSION_ATTRIBUTES },
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

  const served = roles.has('api')
    ? await startApi(c, {
        redis,
        stores,
        dispatcher,
        incidents,
        jobs,
        metrics,
        workers: roles.has('worker'),
        uiDir: tuning.uiDir,
        log,
      })
    : undefined;

  return {
    api: served?.api,
    url: served?.url,
    jobs,
    async close() {
      await served?.close();
      await jobs.close();
      await dispatcher.close();
      await poller?.close();
      redis.disconnect();
      bull.disconnect();
    },
  };
}
