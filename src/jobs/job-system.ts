import { createHash } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../store/redis-client.js';
import type { Poller } from '../sources/poller.js';
import type { TraceSource } from '../sources/source.js';
import type { ModelRegistry } from '../registry/redis-registry.js';
import type { AnomalyStore } from '../store/anomalies.js';
import { compactTrace, expandTrace, type TraceReservoir } from '../store/reservoir.js';
import type { SpanBuffer } from '../store/span-buffer.js';
import { normalizeTrace } from '../trace/normalize.js';
import type { Trace } from '../trace/trace.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import { scoreBatch, type PipelineDeps } from './pipeline.js';
import { trainEndpoint } from './trainer.js';
import { QUEUE_PREFIX, QUEUES } from './redis.js';
import { runIncidentJob } from './incidents-job.js';
import type { IncidentJobDeps } from './incident-job-state.js';
import { ingestProgress } from './ingest-progress.js';
import type { IncidentStore } from '../store/incidents.js';
import type { PollerState } from '../sources/state.js';

/** The per-minute incident job's wiring; without it no incident job is scheduled or run. */
export interface IncidentsWiring {
  job: Omit<IncidentJobDeps, 'progress' | 'store'>;
  store: IncidentStore;
  /** The pollers' watermarks, so minutes are judged only once their polled traces are scored. */
  pollState?: PollerState;
  everyS: number;
}

export interface JobSystemDeps {
  /** BullMQ's connection (maxRetriesPerRequest: null). */
  connection: RedisClient;
  sources: TraceSource[];
  poller?: Poller;
  pipeline: Omit<PipelineDeps, 'coldStart'>;
  registry: ModelRegistry;
  reservoir: TraceReservoir;
  anomalies: AnomalyStore;
  spanBuffer: SpanBuffer;
  incidents?: IncidentsWiring;
  metrics: MetricsRegistry;
  log: (msg: string) => void;
  settings: {
    pollIntervalS: number;
    retrainCron: string;
    minTrainingTraces: number;
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

/** Job ids must not contain ':' (BullMQ); a digest keeps them short, stable and legal. */
/**
 * Incidents whose windows training leaves out: open ones and those resolved within a day (a nightly
 * retrain still finds a resolved fault's traces in the reservoir).
 */
const INCIDENT_LOOKBACK_MS = 86_400_000;

const idOf = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40);

/**
 * The service's background work on BullMQ: polling (a scheduler per source discovers services and fans out one
 * poll job per (source, service) per interval), scoring in batches, training (cold start, nightly cron, on
 * demand), the push buffer's hand-off and retention. Jobs are idempotent by id, so a worker killed mid-batch
 * hands its job back (stalled-job recovery) and the retry stores nothing twice.
 */
export class JobSystem {
  readonly queues: Record<keyof typeof QUEUES, Queue>;
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
    this.m = {
      polled: d.metrics.counter('tracehound_traces_polled_total', 'New traces pulled from sources', [
        'source',
      ]),
      pollLag: d.metrics.gauge('tracehound_poll_lag_seconds', 'How far behind now each poller is', [
        'source',
        'service',
      ]),
      pollErrors: d.metrics.counter('tracehound_poll_errors_total', 'Polls that failed', ['source']),
      pollSkipped: d.metrics.counter(
        'tracehound_polls_skipped_total',
        'Polls not sent because the source is backed off or its circuit breaker is open',
        ['source', 'reason'],
      ),
      scored: d.metrics.counter('tracehound_traces_scored_total', 'Traces scored', ['model']),
      anomalies: d.metrics.counter('tracehound_anomalies_total', 'Anomalies stored', []),
      batchSeconds: d.metrics.histogram(
        'tracehound_score_batch_seconds',
        'Time to score and store one batch',
        [],
      ),
      trained: d.metrics.counter('tracehound_models_trained_total', 'Models trained', ['promoted']),
      incidents: d.metrics.counter('tracehound_incident_events_total', 'Incident events', ['event']),
      queueJobs: d.metrics.gauge('tracehound_queue_jobs', 'Jobs per queue and state', ['queue', 'state']),
    };
    d.metrics.onCollect(async () => {
      for (const q of Object.values(this.queues)) {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed');
        for (const [state, n] of Object.entries(counts)) this.m.queueJobs.set({ queue: q.name, state }, n);
      }
    });
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
    const lock = this.d.settings.jobLockMs ?? 30_000;
    const opts = {
      connection: this.d.connection,
      prefix: QUEUE_PREFIX,
      maxStalledCount: 5,
      lockDuration: lock,
      stalledInterval: lock,
    };
    const w = (name: string, fn: (job: Job) => Promise<unknown>, concurrency = 1) => {
      const worker = new Worker(name, fn, { ...opts, concurrency });
      worker.on('error', (e) => this.d.log(`worker ${name}: ${e.message}`));
      worker.on('failed', (job, e) => this.d.log(`job ${name}/${job?.name} ${job?.id} failed: ${e.message}`));
      this.workers.push(worker);
    };
    w(QUEUES.poll, (job) => this.runPoll(job), 2);
    w(QUEUES.score, (job) => this.runScore(job), this.d.settings.scoreConcurrency ?? 2);
    w(QUEUES.train, (job) => this.runTrain(job));
    w(QUEUES.maintenance, (job) => this.runMaintenance(job));
    // Concurrency 1 here, and a Redis lock inside, keep incident runs single-file across processes.
    if (this.d.incidents) w(QUEUES.incidents, () => this.runIncidents());
  }

  async enqueueScore(traces: Trace[], source: string | undefined): Promise<void> {
    const size = this.d.settings.scoreBatch ?? 200;
    // The session attributes travel with the queued trace, or the scoring worker could not group it.
    const keep = this.d.pipeline.sessions?.attributes;
    for (let i = 0; i < traces.length; i += size) {
      const batch = traces.slice(i, i + size);
      const ids = batch.map((t) => t.traceId);
      await this.queues.score.add(
        'score',
        { source, traces: batch.map((t) => compactTrace(t, keep)) },
        {
          jobId: idOf('score', ...ids),
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: 1000,
          removeOnFail: 5000,
        },
      );
    }
  }

  /** Retrain now: every endpoint with a reservoir, or the given ones. */
  async retrain(endpoints?: string[]): Promise<string> {
    const job = await this.queues.train.add(
      'retrain-all',
      { endpoints },
      { removeOnComplete: 100, removeOnFail: 100 },
    );
    return job.id ?? '';
  }

  private async runPoll(job: Job): Promise<unknown> {
    const poller = this.d.poller;
    if (!poller) return;
    const nowUs = Date.now() * 1000;
    if (job.name === 'discover') {
      const { services, error } = await poller.discover(job.data.source, nowUs);
      if (error) this.d.log(`discover ${job.data.source}: ${error}`);
      const slot = Math.floor(Date.now() / (this.d.settings.pollIntervalS * 1000));
      const due = await poller.due(job.data.source, slot, Date.now());
      await this.queues.poll.addBulk(
        due.map(({ service, sweep }) => ({
          name: 'poll',
          data: { source: job.data.source, service },
          opts: {
            // A sweep reads many intervals at once: it must not hold up the polls fresh traces come from.
            ...(sweep ? { priority: 10 } : {}),
            jobId: idOf('poll', job.data.source, service, String(slot)),
            removeOnComplete: 200,
            removeOnFail: 200,
          },
        })),
      );
      return { services: services.length, polled: due.length };
    }
    const { source, service } = job.data as { source: string; service: string };
    const r = await poller.pollOnce(source, service, nowUs, (traces) => this.enqueueScore(traces, source));
    this.m.pollLag.set({ source, service }, r.stats.lagUs / 1e6);
    if (r.stats.skipped === 'backoff' || r.stats.skipped === 'breaker-open')
      this.m.pollSkipped.inc({ source, reason: r.stats.skipped });
    if (r.stats.error) {
      this.m.pollErrors.inc({ source });
      this.d.log(`poll ${source}/${service}: ${r.stats.error}`);
    }
    this.m.polled.inc({ source }, r.newTraces.length);
    return { newTraces: r.newTraces.length, lagS: r.stats.lagUs / 1e6 };
  }

  private async runScore(job: Job): Promise<unknown> {
    const t0 = performance.now();
    const traces = (job.data.traces as string[]).map(expandTrace);
    const source = this.d.sources.find((s) => s.name === job.data.source);
    const r = await scoreBatch(
      traces,
      {
        ...this.d.pipeline,
        coldStart: async (endpoint) => {
          await this.queues.train.add(
            'train',
            { endpoint },
            { jobId: idOf('train', endpoint, 'cold'), removeOnComplete: true, removeOnFail: 50 },
          );
        },
      },
      { source: job.data.source, link: source ? (id) => source.link(id) : undefined },
    );
    this.m.scored.inc({ model: 'trained' }, r.scored - r.withoutModel);
    this.m.scored.inc({ model: 'none' }, r.withoutModel);
    this.m.anomalies.inc({}, r.anomalies);
    this.m.batchSeconds.observe({}, (performance.now() - t0) / 1000);
    return r;
  }

  private async runTrain(job: Job): Promise<unknown> {
    if (job.name === 'retrain-all') {
      const endpoints: string[] = job.data.endpoints ?? (await this.d.reservoir.endpoints());
      await this.queues.train.addBulk(
        endpoints.map((endpoint) => ({
          name: 'train',
          data: { endpoint },
          opts: { removeOnComplete: 100, removeOnFail: 100 },
        })),
      );
      return { endpoints: endpoints.length };
    }
    const outcome = await trainEndpoint(job.data.endpoint, {
      reservoir: this.d.reservoir,
      registry: this.d.registry,
      minTraces: this.d.settings.minTrainingTraces,
      train: { targetFpr: this.d.settings.targetFpr },
      abnormal:
        this.d.incidents && (() => this.d.incidents!.store.windows(Date.now() - INCIDENT_LOOKBACK_MS)),
    });
    this.m.trained.inc({ promoted: String(outcome.promoted) });
    const d = outcome.dropped;
    this.d.log(
      `train ${outcome.endpoint}: v${outcome.version ?? '-'} ${outcome.promoted ? 'active' : 'kept inactive'} (${outcome.reason})` +
        (d ? `; left out ${d.inIncidents} traces inside incidents, ${d.screened} screened as abnormal` : ''),
    );
    return outcome;
  }

  private async runIncidents(): Promise<unknown> {
    const inc = this.d.incidents!;
    const r = await runIncidentJob({
      ...inc.job,
      store: inc.store,
      progress: () => ingestProgress(inc.pollState, this.d.sources, this.queues.score),
    });
    this.m.incidents.inc({ event: 'opened' }, r.opened);
    this.m.incidents.inc({ event: 'updated' }, r.updated);
    this.m.incidents.inc({ event: 'resolved' }, r.resolved);
    return r;
  }

  private async runMaintenance(job: Job): Promise<unknown> {
    if (job.name === 'prune') {
      const retention = { maxAgeS: this.d.settings.retentionS, maxCount: this.d.settings.retentionMax };
      const anomalies = await this.d.anomalies.prune(retention);
      const reindexed = await this.d.anomalies.migrateLegacyIndex();
      return { ...anomalies, reindexed, incidents: await this.d.incidents?.store.prune(retention) };
    }
    const settled = await this.d.spanBuffer.settled(Date.now(), this.d.settings.pushSettleS * 1000);
    if (settled.length === 0) return { traces: 0 };
    await this.enqueueScore(
      settled.map((t) => normalizeTrace(t.traceId, t.spans)),
      'push',
    );
    await this.d.spanBuffer.remove(settled.map((t) => t.traceId));
    return { traces: settled.length };
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
