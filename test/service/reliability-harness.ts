/**
 * What the reliability tests share: a private Redis with AOF (or a Redis Cluster of three masters), the
 * simulator's stream either served as the Jaeger v1 API (a server that can be stopped and started again on
 * the same port over the same stream) or pushed as OTLP to the service, a webhook receiver whose answers a
 * test scripts, a model trained beforehand, the service in this process or in child processes, and the
 * checks: the anomalies stored are exactly those that scoring the same traces directly finds, each once,
 * and every one of them reached the receiver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Job, Queue } from 'bullmq';
import { expect } from 'vitest';
import { LiveSim, getScenario, type Scenario } from '../../src/sim/index.js';
import { jaegerRoutes } from '../../src/sim/routes-jaeger.js';
import { jaegerEnvelope, toJaegerTrace } from '../../src/formats/write/jaeger-v1.js';
import { toOtlpResourceSpans } from '../../src/formats/write/otlp-json.js';
import { decodeOtlpResponse, encodeOtlpProto } from '../../src/formats/otlp-proto.js';
import { readTracePayload } from '../../src/formats/read.js';
import { bufferedCopy } from '../../src/store/span-buffer.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import type { Trace } from '../../src/trace/trace.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { ModelCache, ModelRegistry } from '../../src/registry/redis-registry.js';
import { compactTrace, expandTrace } from '../../src/store/reservoir.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import { globalIndex, REFS_KEY } from '../../src/store/anomaly-keys.js';
import { errorOnly } from '../../src/scoring/error-only.js';
import { QUEUE_PREFIX, QUEUES } from '../../src/jobs/queues.js';
import { WebhookStore } from '../../src/webhooks/store.js';
import { WEBHOOK_QUEUE } from '../../src/webhooks/dispatcher.js';
import { loadConfig } from '../../src/config.js';
import { startService, type Role, type RunningService, type ServiceTuning } from '../../src/app/start.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startRedisCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { endpointKeyOf } from '../../src/trace/endpoint-key.js';
import { until } from '../helpers/until.js';
import { publishModel, shopEndpoints } from '../helpers/models.js';
import { Receiver } from '../helpers/receiver.js';

/** The shop with cartservice failing 30% of GetCart calls all along, so every stretch of traffic has anomalies. */
export function faultyShop(rate = 20): Scenario {
  const base = getScenario('shop-errors');
  return {
    ...base,
    name: 'shop-errors-always',
    workload: { ...base.workload, rate },
    faults: base.faults.map((f) => ({ ...f, startS: 0, endS: 1e7 })),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The simulator's query API over one stream that outlives the server: stop it, start it, same port. */
export class SimSource {
  readonly live: LiveSim;
  private app?: FastifyInstance;
  private timer?: NodeJS.Timeout;
  port = 0;
  requests = 0;

  constructor(scenario: Scenario, opts: { seed: number; backfillS: number }) {
    this.live = new LiveSim(scenario, {
      seed: opts.seed,
      now: () => Date.now() * 1000,
      backfillS: opts.backfillS,
      maxTraces: 200_000,
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const app = Fastify({ logger: false });
    app.addHook('onRequest', async () => {
      this.requests++;
    });
    await app.register(jaegerRoutes(this.live));
    await app.listen({ port: this.port, host: '127.0.0.1' });
    const addr = app.server.address();
    if (typeof addr === 'object' && addr) this.port = addr.port;
    this.app = app;
    this.live.advance();
    this.timer = setInterval(() => this.live.advance(), 250);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const app = this.app;
    this.app = undefined;
    // Keep-alive connections would keep the port answering; a stopped backend answers nothing.
    app?.server.closeAllConnections();
    await app?.close();
  }

  /** Visible traces that started at or before `untilUs`. */
  tracesUntil(
    untilUs: number,
  ): { traceId: string; start: number; spans: LiveSim['traces'][number]['spans'] }[] {
    this.live.advance();
    return [...this.live.newestFirst()].filter((t) => t.start <= untilUs);
  }
}

/** Scoring and delivery settings that keep a test short; the code paths are the production ones. */
export const FAST: ServiceTuning = {
  jobLockMs: 6000,
  scoreBatch: 50,
  breaker: { threshold: 3, cooldownS: 2, baseBackoffS: 0.5, maxBackoffS: 2 },
  webhooks: { backoffBaseMs: 500, backoffMaxMs: 8000, attempts: 8, timeoutMs: 5000 },
};

export interface WorldOptions {
  seed: number;
  backfillS: number;
  rate?: number;
  /** One Redis with AOF (default), or a Redis Cluster of three masters (REDIS_CLUSTER_NODES). */
  redis?: 'single' | 'cluster';
  /** The service polls the simulator's Jaeger API (default), or the test pushes the stream to it as OTLP. */
  source?: 'poll' | 'push';
}

export class World {
  /** The single Redis (not set on a cluster). */
  redis!: TestRedis;
  cluster?: TestCluster;
  admin!: RedisClient;
  sim!: SimSource;
  /** Each OTLP body pushed (push source), in order. */
  readonly pushed: Buffer[] = [];
  receiver = new Receiver();
  registry!: ModelRegistry;
  webhookId = '';
  private children = new Set<ChildProcess>();
  private services = new Set<RunningService>();

  constructor(
    private readonly model: ModelSet,
    private readonly opts: WorldOptions,
  ) {}

  private get pushing(): boolean {
    return this.opts.source === 'push';
  }

  async start(): Promise<void> {
    if (this.opts.redis === 'cluster') {
      this.cluster = await startRedisCluster(3);
      this.admin = this.cluster.client();
    } else {
      this.redis = await startRedis({ appendonly: true });
      this.admin = new Redis(this.redis.url, { maxRetriesPerRequest: null });
    }
    this.admin.on('error', () => {});
    this.registry = new ModelRegistry(this.admin);
    await publishModel(this.admin, shopEndpoints(), this.model);
    await this.receiver.start();
    const hooks = new WebhookStore(this.admin, { allowPrivate: true });
    this.webhookId = (
      await hooks.create({
        url: this.receiver.url('/hook'),
        secret: 'reliable',
        events: ['anomaly.detected'],
        // Every anomaly singly: the harness checks that each one is delivered.
        anomalies: { mode: 'each', maxPerMinute: 1000 },
      })
    ).id;
    this.sim = new SimSource(faultyShop(this.opts.rate), this.opts);
    // Pushed, the stream advances only when the test pushes what became visible.
    if (!this.pushing) await this.sim.start();
  }

  env(): Record<string, string> {
    const redis: Record<string, string> = this.cluster
      ? // REDIS_URL gives only credentials and TLS beside the cluster's seeds.
        { REDIS_URL: `redis://127.0.0.1:${this.cluster.ports[0]}`, REDIS_CLUSTER_NODES: this.cluster.nodes }
      : { REDIS_URL: this.redis.url };
    return {
      ...redis,
      HOST: '127.0.0.1',
      PORT: '0',
      ...(this.pushing ? {} : { TRACEHOUND_JAEGER_URL: this.sim.url }),
      TRACEHOUND_POLL_INTERVAL: '1',
      TRACEHOUND_POLL_SETTLE: '1',
      TRACEHOUND_POLL_OVERLAP: '3',
      TRACEHOUND_POLL_LIMIT: '300',
      TRACEHOUND_INITIAL_LOOKBACK: '3600',
      TRACEHOUND_WEBHOOK_ALLOW_PRIVATE: 'true',
      TRACEHOUND_LOG_LEVEL: 'warn',
      // Not the conventional OTLP ports: other tests and programs on the machine may hold them.
      TRACEHOUND_OTLP_GRPC_PORT: '0',
      TRACEHOUND_OTLP_HTTP_PORT: '0',
      // No training during a test: the models it compares against must stay the active ones.
      TRACEHOUND_MIN_TRAINING_TRACES: '1000000000',
      TRACEHOUND_RETRAIN_CRON: '0 0 1 1 *',
    };
  }

  /** The service in this process. */
  async service(roles: Role[], tuning: ServiceTuning = FAST, log: (m: string) => void = () => {}) {
    const s = await startService(loadConfig(this.env()), new Set(roles), log, tuning);
    this.services.add(s);
    return s;
  }

  async stopService(s: RunningService): Promise<void> {
    this.services.delete(s);
    await s.close();
  }

  /** The service in a child process (test/service/service-entry.ts), resolved once it is running. */
  async child(roles: Role[], tuning: ServiceTuning = FAST): Promise<ChildProcess> {
    const entry = fileURLToPath(new URL('./service-entry.ts', import.meta.url));
    // Node itself with tsx as a loader: the tsx binary would run the service in a grandchild that a
    // SIGKILL of its parent leaves running.
    const proc = spawn(process.execPath, ['--import', 'tsx', entry, roles.join(',')], {
      env: { ...process.env, ...this.env(), TRACEHOUND_TEST_TUNING: JSON.stringify(tuning) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(proc);
    proc.once('exit', () => this.children.delete(proc));
    let err = '';
    proc.stderr!.on('data', (c) => (err = (err + String(c)).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      proc.stdout!.on('data', (c) => {
        if (String(c).includes('ready')) resolve();
      });
      proc.once('exit', (code) =>
        reject(new Error(`service child exited (${code}) before it was ready:\n${err}`)),
      );
    });
    return proc;
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((r) => {
      proc.once('exit', () => r());
      proc.kill('SIGKILL');
    });
  }

  queue(name: string): Queue {
    return new Queue(name, { connection: this.admin, prefix: QUEUE_PREFIX });
  }

  /** Jobs the score queue is running right now. */
  async activeScoreJobs(): Promise<number> {
    const q = this.queue(QUEUES.score);
    try {
      return await q.getActiveCount();
    } finally {
      await q.close();
    }
  }

  /** The score jobs running right now, each with the process running it (BullMQ's processedBy, host:pid). */
  async runningScoreJobs(): Promise<{ id: string; by: string }[]> {
    const q = this.queue(QUEUES.score);
    try {
      return (await q.getJobs(['active'])).map((j) => ({ id: j.id ?? '', by: j.processedBy ?? '' }));
    } finally {
      await q.close();
    }
  }

  /** The score job `id` finished after it had been handed back (stalled) from a worker that died holding it. */
  async handedBackAndDone(id: string): Promise<boolean> {
    const q = this.queue(QUEUES.score);
    try {
      const job = await Job.fromId(q, id);
      return !!job && job.stalledCounter > 0 && (await job.isCompleted());
    } finally {
      await q.close();
    }
  }

  /**
   * Pushes the traces of the stream that became visible since the last push to `url` as one OTLP/HTTP
   * protobuf request, whole traces in each (as the Collector's loadbalancing exporter sends them); returns
   * how many. Every span must be taken.
   */
  async pushVisible(url: string): Promise<number> {
    const ready = this.sim.live.advance();
    if (ready.length === 0) return 0;
    const body = Buffer.from(
      encodeOtlpProto({ resourceSpans: toOtlpResourceSpans(ready.flatMap((t) => t.spans)) }),
    );
    const r = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    const answer = decodeOtlpResponse(new Uint8Array(await r.arrayBuffer()));
    if (r.status !== 200 || answer.partialSuccess?.rejectedSpans)
      throw new Error(`push: ${r.status} ${JSON.stringify(answer)}`);
    this.pushed.push(body);
    return ready.length;
  }

  /** Finished score jobs that a dead worker had been running and that were handed to another. */
  async stalledScoreJobs(): Promise<number> {
    const q = this.queue(QUEUES.score);
    try {
      const done = await q.getJobs(['completed'], 0, -1);
      return done.filter((j) => j.stalledCounter > 0).length;
    } finally {
      await q.close();
    }
  }

  async deadLetters(): Promise<number> {
    return this.admin.llen(`th:{wh}:${this.webhookId}:dead`);
  }

  async failedDeliveryJobs(): Promise<number> {
    const q = this.queue(WEBHOOK_QUEUE);
    try {
      return await q.getFailedCount();
    } finally {
      await q.close();
    }
  }

  /** The traces the source held that started by `untilUs`, as the poller reads them. */
  private polledTraces(untilUs: number): Trace[] {
    const live = this.sim.tracesUntil(untilUs);
    const doc = Buffer.from(JSON.stringify(jaegerEnvelope(live.map((t) => toJaegerTrace(t.spans)))));
    return readTracePayload(doc, { format: 'jaeger-v1' }).traces;
  }

  /** The pushed traces that started by `untilUs`, as they come out of the push buffer. */
  private pushedTraces(untilUs: number): Trace[] {
    const keep = loadConfig(this.env()).TRACEHOUND_SESSION_ATTRIBUTES;
    return this.pushed
      .flatMap((body) => readTracePayload(body, { format: 'otlp-proto' }).traces)
      .filter((t) => Math.min(...t.spans.map((s) => s.start)) <= untilUs)
      .map((t) =>
        normalizeTrace(
          t.traceId,
          t.spans.map((s) => bufferedCopy(s, keep)),
        ),
      );
  }

  /**
   * The anomalies scoring finds when given the traces straight from the simulator, through the same
   * reader and the same compact copy a score job carries, with each endpoint's active model from the registry.
   */
  async expectedAnomalies(untilUs: number): Promise<{ traces: string[]; anomalies: Set<string> }> {
    const traces = this.pushing ? this.pushedTraces(untilUs) : this.polledTraces(untilUs);
    const byEndpoint = new Map<string, Trace[]>();
    for (const t of traces.map((x) => expandTrace(compactTrace(x)))) {
      const key = endpointKeyOf(t);
      if (!byEndpoint.has(key)) byEndpoint.set(key, []);
      byEndpoint.get(key)!.push(t);
    }
    const cache = new ModelCache(this.registry);
    const anomalies = new Set<string>();
    for (const [ep, group] of byEndpoint) {
      const m = await cache.get(ep);
      const scored = m ? m.score(group) : group.map(errorOnly);
      for (const s of scored) if (s.anomalous) anomalies.add(s.traceId);
    }
    return { traces: traces.map((t) => t.traceId), anomalies };
  }

  /** Every stored anomaly id whose trace started by `untilUs`, read through every page of the time index. */
  async storedAnomalies(untilUs: number): Promise<string[]> {
    const store = new AnomalyStore(this.admin);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ order: 'time', to: Math.floor(untilUs / 1000), limit: 500, cursor });
      ids.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  /** Each record sits once in each global index and once in the refs hash (read in one transaction, as the
   *  service keeps writing anomalies of newer traces meanwhile). */
  async indexCounts(): Promise<{ byTime: number; byScore: number; refs: number }> {
    const r = await this.admin
      .multi()
      .zcard(globalIndex('time'))
      .zcard(globalIndex('score'))
      .hlen(REFS_KEY)
      .exec();
    const n = (i: number) => Number(r?.[i]?.[1]);
    return { byTime: n(0), byScore: n(1), refs: n(2) };
  }

  /** Which of these trace ids the poller has not handed to scoring. */
  async notSeen(traceIds: string[]): Promise<string[]> {
    const p = this.admin.pipeline();
    for (const id of traceIds) p.exists(`th:poll:{jaeger}:seen:${id}`);
    const r = (await p.exec()) ?? [];
    return traceIds.filter((_, i) => r[i][1] === 0);
  }

  /** Where the pipeline stands, for a failure message. */
  async diagnose(missing: string[]): Promise<string> {
    const counts: Record<string, unknown> = {};
    for (const name of [QUEUES.poll, QUEUES.score, WEBHOOK_QUEUE]) {
      const q = this.queue(name);
      counts[name] = await q.getJobCounts('waiting', 'active', 'delayed', 'failed');
      await q.close();
    }
    if (this.pushing) return `queues ${JSON.stringify(counts)}`;
    const wm = await this.admin.hgetall('th:poll:{jaeger}:wm');
    const lags = Object.values(wm).map((v) => Math.round((Date.now() * 1000 - Number(v)) / 1e6));
    const unseen = await this.notSeen(missing);
    return `queues ${JSON.stringify(counts)}, watermark lags ${lags.sort((a, b) => a - b)} s, ${unseen.length} of the missing never handed to scoring`;
  }

  async close(): Promise<void> {
    for (const c of this.children) await this.kill(c);
    for (const s of this.services) await s.close().catch(() => {});
    await this.sim?.stop();
    await this.receiver.close();
    this.admin?.disconnect();
    await this.redis?.close();
    await this.cluster?.close();
  }
}

/**
 * Waits until the store holds exactly the anomalies direct scoring finds among traces started by `untilUs`,
 * and the receiver has had each of them; returns what it compared.
 */
export async function converge(w: World, cutoffUs: number, timeoutMs: number) {
  // The store keeps start times in ms: a cutoff at the end of a millisecond means the same traces in both.
  const untilUs = Math.floor(cutoffUs / 1000) * 1000 + 999;
  const expected = await w.expectedAnomalies(untilUs);
  let stored: string[] = [];
  let missingStored: string[] = [];
  let extraStored: string[] = [];
  let missingHooks: string[] = [];
  try {
    await until(
      'stored anomalies and webhooks to match direct scoring',
      async () => {
        stored = await w.storedAnomalies(untilUs);
        const s = new Set(stored);
        missingStored = [...expected.anomalies].filter((id) => !s.has(id));
        extraStored = stored.filter((id) => !expected.anomalies.has(id));
        const delivered = w.receiver.deliveredTraces();
        missingHooks = [...expected.anomalies].filter((id) => !delivered.has(id));
        return missingStored.length + extraStored.length + missingHooks.length === 0 ? true : undefined;
      },
      timeoutMs,
      { everyMs: 500 },
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}: ${expected.anomalies.size} expected, ${stored.length} stored; ` +
        `${await w.diagnose(missingStored)}; ` +
        `missing ${missingStored.length} ${missingStored.slice(0, 3)}, extra ${extraStored.length} ` +
        `${extraStored.slice(0, 3)}, webhooks missing ${missingHooks.length} ${missingHooks.slice(0, 3)}`,
    );
  }
  return { expected, stored };
}

/** Each stored anomaly once in the list, and once in each global index and the refs hash. */
export async function expectEachStoredOnce(w: World, stored: string[]): Promise<void> {
  expect(new Set(stored).size).toBe(stored.length);
  const c = await w.indexCounts();
  expect(c.byScore).toBe(c.byTime);
  expect(c.refs).toBe(c.byTime);
}
