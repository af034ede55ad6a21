import { hostname } from 'node:os';
import { Queue, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../store/redis-client.js';
import type { Poller } from '../sources/poller.js';
import type { TraceSource } from '../sources/source.js';
import type { ModelRegistry } from '../registry/redis-registry.js';
import type { AnomalyStore } from '../store/anomalies.js';
import type { TraceReservoir } from '../store/reservoir.js';
import type { SpanBuffer } from '../store/span-buffer.js';
import type { Trace } from '../trace/trace.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import type { PipelineStores } from './pipeline.js';
import { countQueueJobs, jobMetrics } from './job-metrics.js';
import {
  QUEUE_PREFIX,
  QUEUES,
  enqueueBuffered,
  enqueueRetrain,
  enqueueScore,
  type JobQueues,
} from './queues.js';
import { pollProcessor } from './processors/poll.js';
import { scoreProcessor } from './processors/score.js';
import { trainProcessor } from './processors/train.js';
import { maintenanceProcessor } from './processors/maintenance.js';
import { incidentsProcessor, type IncidentsWiring } from './processors/incidents.js';

export interface JobSystemDeps {
  /** BullMQ's connection (maxRetriesPerRequest: null). */
  connection: RedisClient;
  sources: TraceSource[];
  poller?: Poller;
  /** What the score jobs read and write; the training reservoir and the anomalies are among them. */
  pipeline: PipelineStores & { reservoir: TraceReservoir; anomalies: AnomalyStore };
  registry: ModelRegistry;
  spanBuffer: SpanBuffer;
  incidents?: IncidentsWiring;
  metrics: MetricsRegistry;
  log: (msg: string) => void;
  settings: {
    pollIntervalS: number;
    retrainCron: string;
    targetFpr: number;
    pushSettleS: number;
    retentionS: number;
    retentionMax: number;
    scoreBatch?: number;
    /** How long a worker's job lock lasts, ms: a crashed worker's jobs go to another after this (default 30 000). */
    jobLockMs?: number;
    /** Score jobs one worker process runs at once (default 2: one scores while the other waits on Redis). */
    scoreConcurrency?: number;
  };
}

/**
 * The service's background work on BullMQ: polling (a scheduler per source discovers services and fans out one
 * poll job per (source, service) per interval), scoring in batches, training (cold start, nightly cron, on
 * demand), the push buffer's hand-off and retention. This class only builds the queues (jobs/queues.ts), the
 * schedules and the workers; each queue's work is its processor's (jobs/processors/). Jobs are idempotent by
 * id, so a worker killed mid-batch hands its job back (stalled-job recovery) and the retry stores nothing twice.
 */
export class JobSystem {
  readonly queues: JobQueues;
  private workers: Worker[] = [];
  private readonly m;

  constructor(private readonly d: JobSystemDeps) {
    const opts = { connection: d.connection, prefix: QUEUE_PREFIX };
    this.queues = {
      poll: new Queue(QUEUES.poll, opts),
      score: new Queue(QUEUES.score, opts),
      train: new Queue(QUEUES.train, opts),
      maintenance: new Queue(QUEUES.maintenance, opts),
      incidents: new Queue(QUEUES.incidents, opts),
    };
    for (const q of Object.values(this.queues)) q.on('error', (e) => d.log(`queue ${q.name}: ${e.message}`));
    this.m = jobMetrics(d.metrics);
    countQueueJobs(d.metrics, this.m, Object.values(this.queues));
  }

  /** Scheduler role: (re)declares every repeating job; safe to run on every start and on many machines. */
  async schedule(): Promise<void> {
    const s = this.d.settings;
    for (const src of this.d.sources)
      await this.queues.poll.upsertJobScheduler(
        `discover-${src.name}`,
        { every: s.pollIntervalS * 1000 },
        { name: 'discover', data: { source: src.name } },
      );
    await this.queues.train.upsertJobScheduler(
      'retrain',
      { pattern: s.retrainCron },
      { name: 'retrain-all', data: {} },
    );
    await this.queues.maintenance.upsertJobScheduler(
      'flush-push',
      { every: 2000 },
      { name: 'flush-push', data: {} },
    );
    if (this.d.incidents)
      await this.queues.incidents.upsertJobScheduler(
        'incidents',
        { every: this.d.incidents.everyS * 1000 },
        { name: 'incidents', data: {} },
      );
    await this.queues.maintenance.upsertJobScheduler(
      'prune',
      { every: 3600_000 },
      { name: 'prune', data: {} },
    );
  }

  /** Worker role. */
  start(): void {
    const d = this.d;
    const lock = d.settings.jobLockMs ?? 30_000;
    const opts = {
      connection: d.connection,
      prefix: QUEUE_PREFIX,
      // Kept on each job as processedBy: which process (of many, on many machines) ran or holds it.
      name: `${hostname()}:${process.pid}`,
      maxStalledCount: 5,
      lockDuration: lock,
      stalledInterval: lock,
    };
    const w = (name: string, fn: (job: Job) => Promise<unknown>, concurrency = 1) => {
      const worker = new Worker(name, fn, { ...opts, concurrency });
      worker.on('error', (e) => d.log(`worker ${name}: ${e.message}`));
      worker.on('failed', (job, e) => d.log(`job ${name}/${job?.name} ${job?.id} failed: ${e.message}`));
      this.workers.push(worker);
    };
    const enqueueScore = (traces: Trace[], source: string) => this.enqueueScore(traces, source);
    const { queues: q, m } = this;
    w(
      QUEUES.poll,
      pollProcessor({
        poller: d.poller,
        queue: q.poll,
        pollIntervalS: d.settings.pollIntervalS,
        enqueueScore,
        metrics: m,
        log: d.log,
      }),
      2,
    );
    w(
      QUEUES.score,
      scoreProcessor({
        pipeline: d.pipeline,
        sources: d.sources,
        trainQueue: q.train,
        metrics: m,
        spanBuffer: d.spanBuffer,
        log: d.log,
      }),
      d.settings.scoreConcurrency ?? 2,
    );
    w(
      QUEUES.train,
      trainProcessor({
        queue: q.train,
        reservoir: d.pipeline.reservoir,
        registry: d.registry,
        incidents: d.incidents?.store,
        minTrainingTraces: d.pipeline.minTrainingTraces,
        targetFpr: d.settings.targetFpr,
        metrics: m,
        log: d.log,
      }),
    );
    w(
      QUEUES.maintenance,
      maintenanceProcessor({
        anomalies: d.pipeline.anomalies,
        incidents: d.incidents?.store,
        spanBuffer: d.spanBuffer,
        enqueueBuffered: (ids) => enqueueBuffered(q.score, ids, this.scoreBatch()),
        scoreBacklog: () => q.score.getWaitingCount(),
        settings: d.settings,
      }),
    );
    // Concurrency 1 here, and a Redis lock inside, keep incident runs single-file across processes.
    if (d.incidents)
      w(
        QUEUES.incidents,
        incidentsProcessor({ wiring: d.incidents, sources: d.sources, scoreQueue: q.score, metrics: m }),
      );
  }

  async enqueueScore(traces: Trace[], source: string | undefined): Promise<void> {
    await enqueueScore(this.queues.score, traces, source, {
      size: this.scoreBatch(),
      keep: this.d.pipeline.sessions?.attributes,
    });
  }

  /**
   * Traces per score job. Per job BullMQ and the stores cost about the same whatever its size: 500 measured
   * 8% fewer CPU seconds per span than 200 in the service bench.
   */
  private scoreBatch(): number {
    return this.d.settings.scoreBatch ?? 500;
  }

  /** Retrain now: every endpoint with a reservoir, or the given ones. */
  async retrain(endpoints?: string[]): Promise<string> {
    return enqueueRetrain(this.queues.train, endpoints);
  }

  /** Worker role started and none of its workers has stopped (closed, or its run loop gave up). */
  workersRunning(): boolean {
    return this.workers.length > 0 && this.workers.every((w) => w.isRunning());
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }
}
