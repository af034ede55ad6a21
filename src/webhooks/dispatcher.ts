import { createHash, randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../store/redis-client.js';
import { DeliveryRetryError, jitteredBackoff } from './backoff.js';
import {
  appendDeliveryLog,
  pushDeadLetter,
  readDeadLetters,
  readDeliveryLog,
  type DeliveryLogEntry,
  type DeliveryOutcome,
} from './delivery-log.js';
import { MINUTE_MS, buildDigest } from './digest.js';
import { DigestStore } from './digest-store.js';
import {
  digestEventId,
  testEvent,
  type AnomalyDigestWebhookEvent,
  type AnomalyWebhookEvent,
  type DeliveredEvent,
  type WebhookEvent,
} from './events.js';
import { webhookFollows, webhookMatches } from './filter.js';
import { silencedBy, type Silence } from './silence.js';
import { renderRequest } from './formats/index.js';
import { anomalyDelivery, type Webhook } from './schema.js';
import { postWebhook, type SendResult } from './send.js';
import type { WebhookStore } from './store.js';
import type { ResolveAll } from './url-guard.js';

export const WEBHOOK_QUEUE = 'webhook-deliveries';
export const QUEUE_PREFIX = '{th}';

/**
 * One delivery to one webhook. A digest job is queued with its minute only; its first run builds the digest
 * and keeps it in `event`, so every retry sends the same body.
 */
export interface DeliveryJob {
  deliveryId: string;
  webhookId: string;
  event?: DeliveredEvent;
  digest?: { minuteMs: number };
}

export interface WebhookDispatcherOptions {
  /** ioredis with `maxRetriesPerRequest: null` (BullMQ needs it; commands then wait out a Redis restart). */
  connection: RedisClient;
  store: WebhookStore;
  /** Silences in force: matching events are recorded but not sent (see silencedBy). */
  silences?: { active(): Promise<Silence[]> };
  allowPrivate?: boolean;
  resolve?: ResolveAll;
  /** Public address of the service, for links and Alertmanager's externalURL. */
  publicUrl?: string;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
  /**
   * Tries per delivery, the first included. Default 18: with the default backoff the retries span at least
   * about an hour (1 s doubling to 15 min), so a receiver down for that long loses nothing.
   */
  attempts?: number;
  /** Jittered exponential backoff (see jitteredBackoff). Defaults 1 000 ms and 15 min. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Longest Retry-After honoured. Default 1 h. */
  maxRetryAfterMs?: number;
  /** Entries kept in each webhook's delivery log / dead-letter list. Defaults 200 / 1 000. */
  logSize?: number;
  deadSize?: number;
  /** Finished jobs are kept this long so re-enqueuing the same event is a no-op. Default 7 days. */
  dedupeWindowS?: number;
  /** Where queue and worker errors go (default stderr); a message repeated while Redis is away is logged once. */
  log?: (msg: string) => void;
  /** Worker concurrency. Default 10. */
  concurrency?: number;
  /** Job lock, ms: a crashed worker's deliveries go to another after this. Default 30 000. */
  lockDurationMs?: number;
  random?: () => number;
  /** Epoch ms (tests): which minute an anomaly counts in. */
  now?: () => number;
  /** A minute's digest is built this long after the minute ends, for anomalies still on their way. Default 10 s. */
  digestGraceMs?: number;
}

export interface TestResult extends SendResult {
  deliveryId: string;
  ok: boolean;
}

/** BullMQ forbids ':' in custom job ids; a digest of the delivery id keeps them stable and legal. */
export function jobIdOf(deliveryId: string): string {
  return `d_${createHash('sha256').update(deliveryId).digest('hex').slice(0, 40)}`;
}

const isPermanent = (r: SendResult) =>
  r.refused === true || (r.status >= 300 && r.status < 500 && r.status !== 408 && r.status !== 429);

/**
 * Fans events out to the webhooks that want them and delivers them at least once: one BullMQ job per
 * (event, webhook) keyed by the delivery id, retried with backoff, dead-lettered when it cannot succeed.
 */
export class WebhookDispatcher {
  readonly queue: Queue<DeliveryJob>;
  private worker?: Worker<DeliveryJob>;
  private readonly o: Required<
    Omit<
      WebhookDispatcherOptions,
      'resolve' | 'publicUrl' | 'random' | 'connection' | 'store' | 'log' | 'silences' | 'now'
    >
  >;
  private readonly digests: DigestStore;

  constructor(private readonly opts: WebhookDispatcherOptions) {
    this.o = {
      allowPrivate: opts.allowPrivate ?? false,
      timeoutMs: opts.timeoutMs ?? 10_000,
      attempts: opts.attempts ?? 18,
      backoffBaseMs: opts.backoffBaseMs ?? 1_000,
      backoffMaxMs: opts.backoffMaxMs ?? 900_000,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 3_600_000,
      logSize: opts.logSize ?? 200,
      deadSize: opts.deadSize ?? 1_000,
      dedupeWindowS: opts.dedupeWindowS ?? 7 * 86_400,
      concurrency: opts.concurrency ?? 10,
      lockDurationMs: opts.lockDurationMs ?? 30_000,
      digestGraceMs: opts.digestGraceMs ?? 10_000,
    };
    this.digests = new DigestStore(opts.connection);
    this.queue = new Queue<DeliveryJob>(WEBHOOK_QUEUE, { connection: opts.connection, prefix: QUEUE_PREFIX });
    this.queue.on('error', (err) => this.warn(`webhook queue: ${err.message}`));
  }

  /**
   * Queues one delivery per matching webhook; returns their delivery ids. Idempotent per event id.
   * `follow`: webhooks already told about this incident, which get the rest of its story even when their
   * filters no longer match (see webhookFollows). When it is given, they are the whole audience of its
   * resolve: a receiver that never heard of the incident (silenced, or filtered out, while it was open) is
   * not told that it ended.
   */
  async enqueue(event: WebhookEvent, opts: { follow?: readonly string[] } = {}): Promise<string[]> {
    return (await this.place(event, opts)).map((d) => d.deliveryId);
  }

  /** As enqueue, answering with the webhooks told: those an incident's later events follow. */
  async tell(event: WebhookEvent, opts: { follow?: readonly string[] } = {}): Promise<string[]> {
    return (await this.place(event, opts)).map((d) => d.webhookId);
  }

  private async place(event: WebhookEvent, opts: { follow?: readonly string[] }): Promise<DeliveryJob[]> {
    const follow = new Set(opts.follow ?? []);
    const onlyFollowers = event.type === 'incident.resolved' && opts.follow !== undefined;
    const hooks = (await this.opts.store.list()).filter(
      (w) => (!onlyFollowers && webhookMatches(w, event)) || (follow.has(w.id) && webhookFollows(w, event)),
    );
    if (hooks.length === 0) return [];
    if (this.opts.silences && event.type !== 'webhook.test') {
      const silence = silencedBy(event, await this.opts.silences.active(), Date.now());
      if (silence) {
        this.opts.log?.(
          `${event.type} ${event.id} not sent: silenced (${silence.service ?? silence.endpoint} until ${silence.until})`,
        );
        return [];
      }
    }
    const jobs =
      event.type === 'anomaly.detected'
        ? await this.placeAnomaly(event, hooks)
        : hooks.map((w) =>
            this.job(event.type, { deliveryId: `${event.id}:${w.id}`, webhookId: w.id, event }),
          );
    await this.queue.addBulk(jobs);
    return jobs.map((j) => j.data);
  }

  private job(name: string, data: DeliveryJob, delay?: number) {
    const keep = { age: this.o.dedupeWindowS };
    return {
      name,
      data,
      opts: {
        jobId: jobIdOf(data.deliveryId),
        attempts: this.o.attempts,
        backoff: { type: 'webhook' },
        removeOnComplete: keep,
        removeOnFail: keep,
        ...(delay ? { delay } : {}),
      },
    };
  }

  /**
   * Per webhook: a single delivery while its minute is under the cap (mode each), else into the minute's
   * digest, whose job (one per webhook and minute, by its id) runs once the minute is over. The count lives in
   * Redis, so replicas share it. A re-notified anomaly gets the jobs of its first placement again: adding an
   * existing job is a no-op, and one lost to a crash between placing and queueing is queued now.
   */
  private async placeAnomaly(event: AnomalyWebhookEvent, hooks: Webhook[]) {
    const now = (this.opts.now ?? Date.now)();
    const jobs: ReturnType<WebhookDispatcher['job']>[] = [];
    for (const w of hooks) {
      const p = await this.digests.admit(w.id, event.data, anomalyDelivery(w).maxPerMinute, now);
      if (p.placement === 'single')
        jobs.push(this.job(event.type, { deliveryId: `${event.id}:${w.id}`, webhookId: w.id, event }));
      else if (p.placement === 'digest') {
        const deliveryId = `${digestEventId(w.id, p.minuteMs)}:${w.id}`;
        const delay = Math.max(0, p.minuteMs + MINUTE_MS + this.o.digestGraceMs - now);
        jobs.push(
          this.job(
            'anomaly.digest',
            { deliveryId, webhookId: w.id, digest: { minuteMs: p.minuteMs } },
            delay,
          ),
        );
      } else this.warn(`${event.id} not sent to ${w.id}: its minute and the next are already digested`);
    }
    return jobs;
  }

  workerRunning(): boolean {
    return this.worker?.isRunning() ?? false;
  }

  /** Starts the delivery worker (once). Its errors are logged, never thrown: ioredis reconnects on its own. */
  startWorker(): Worker<DeliveryJob> {
    if (this.worker) return this.worker;
    this.worker = new Worker<DeliveryJob>(WEBHOOK_QUEUE, (job) => this.process(job), {
      connection: this.opts.connection,
      prefix: QUEUE_PREFIX,
      concurrency: this.o.concurrency,
      // A worker that crashes or loses Redis mid-delivery must get the job back, not fail it.
      maxStalledCount: 10,
      lockDuration: this.o.lockDurationMs,
      stalledInterval: this.o.lockDurationMs,
      settings: {
        backoffStrategy: jitteredBackoff({
          baseMs: this.o.backoffBaseMs,
          maxMs: this.o.backoffMaxMs,
          maxRetryAfterMs: this.o.maxRetryAfterMs,
          random: this.opts.random,
        }),
      },
    });
    this.worker.on('error', (err) => this.warn(`webhook worker: ${err.message}`));
    return this.worker;
  }

  /** Sends a test event to one webhook now (one try, no retries) and logs it. */
  async sendTest(webhookId: string): Promise<TestResult> {
    const hook = await this.opts.store.get(webhookId);
    if (!hook) throw new Error(`no webhook ${webhookId}`);
    const event = testEvent(webhookId, randomBytes(8).toString('hex'), new Date().toISOString());
    const deliveryId = `${event.id}:${webhookId}`;
    const r = await this.send(hook, event, deliveryId);
    const ok = r.status >= 200 && r.status < 300;
    await this.log(hook.id, deliveryId, event, 1, r, 'test');
    return { ...r, deliveryId, ok };
  }

  deliveryLog(webhookId: string, limit?: number) {
    return readDeliveryLog(this.opts.connection, webhookId, limit);
  }

  deadLetters(webhookId: string, limit?: number) {
    return readDeadLetters(this.opts.connection, webhookId, limit);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }

  private lastWarning = '';

  private warn(msg: string): void {
    if (msg === this.lastWarning) return;
    this.lastWarning = msg;
    (this.opts.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(msg);
  }

  private send(hook: Webhook, event: DeliveredEvent, deliveryId: string): Promise<SendResult> {
    const req = renderRequest(
      hook.format,
      event,
      { deliveryId, webhookId: hook.id, publicUrl: this.opts.publicUrl, secret: hook.secret },
      // Signed per attempt: receivers reject stale timestamps, and a retry can come hours later.
      Math.floor(Date.now() / 1000),
    );
    return postWebhook(hook.url, req.headers, req.body, {
      timeoutMs: this.o.timeoutMs,
      allowPrivate: this.o.allowPrivate,
      resolve: this.opts.resolve,
    });
  }

  private log(
    webhookId: string,
    deliveryId: string,
    event: DeliveredEvent,
    attempt: number,
    r: Pick<SendResult, 'status' | 'ms' | 'error'>,
    outcome: DeliveryOutcome,
  ) {
    const entry: DeliveryLogEntry = {
      deliveryId,
      event: event.type,
      eventId: event.id,
      attempt,
      status: r.status,
      outcome,
      ms: r.ms,
      at: new Date().toISOString(),
    };
    if (r.error) entry.error = r.error;
    return appendDeliveryLog(this.opts.connection, webhookId, entry, this.o.logSize);
  }

  private async process(job: Job<DeliveryJob>): Promise<{ status: number } | { skipped: string }> {
    const { deliveryId, webhookId } = job.data;
    const attempt = job.attemptsMade + 1;
    const hook = await this.opts.store.get(webhookId);
    if (!hook) return { skipped: 'webhook deleted' };
    const event = job.data.event ?? (await this.digestOf(job));
    if (typeof event === 'string') return { skipped: event };
    if (!hook.enabled) {
      const why = `webhook disabled${hook.disabledReason ? `: ${hook.disabledReason}` : ''}`;
      await this.log(webhookId, deliveryId, event, attempt, { status: 0, ms: 0, error: why }, 'skipped');
      return { skipped: why };
    }
    const r = await this.send(hook, event, deliveryId);
    if (r.status >= 200 && r.status < 300) {
      if (job.data.digest) await this.digests.markSent(webhookId, job.data.digest.minuteMs);
      await this.log(webhookId, deliveryId, event, attempt, r, 'delivered');
      return { status: r.status };
    }
    const dead = (error: string) =>
      pushDeadLetter(
        this.opts.connection,
        {
          deliveryId,
          webhookId,
          attempts: attempt,
          status: r.status,
          error,
          at: new Date().toISOString(),
          event,
        },
        this.o.deadSize,
      );
    const error = r.error ?? `HTTP ${r.status}`;
    if (r.status === 410) {
      const reason = `receiver answered 410 Gone at ${new Date().toISOString()}`;
      await this.opts.store.disable(webhookId, reason);
      await this.log(webhookId, deliveryId, event, attempt, r, 'disabled');
      await dead(`${error}; webhook disabled`);
      throw new UnrecoverableError(`${deliveryId}: ${error}; webhook disabled`);
    }
    if (isPermanent(r)) {
      await this.log(webhookId, deliveryId, event, attempt, r, 'failed');
      await dead(`${error} (permanent, not retried)`);
      throw new UnrecoverableError(`${deliveryId}: ${error}`);
    }
    if (attempt >= (job.opts.attempts ?? 1)) {
      await this.log(webhookId, deliveryId, event, attempt, r, 'failed');
      await dead(`${error} (after ${attempt} attempts)`);
      throw new UnrecoverableError(`${deliveryId}: ${error} after ${attempt} attempts`);
    }
    await this.log(webhookId, deliveryId, event, attempt, r, 'retrying');
    throw new DeliveryRetryError(`${deliveryId}: ${error}`, r.retryAfterMs);
  }

  /**
   * Builds a digest job's event on its first run: closes the minute, so nothing joins it afterwards, and keeps
   * the digest in the job before dropping the minute's anomalies. A reason (string) when there is none to send.
   */
  private async digestOf(job: Job<DeliveryJob>): Promise<AnomalyDigestWebhookEvent | string> {
    const { webhookId, digest } = job.data;
    if (!digest) return 'job has neither an event nor a digest minute';
    const c = await this.digests.close(webhookId, digest.minuteMs);
    if (c === 'sent') return 'digest already delivered';
    if (c.top.length === 0) return 'no anomalies left for a digest';
    const event = buildDigest(webhookId, digest.minuteMs, c);
    await job.updateData({ ...job.data, event });
    await this.digests.dropItems(webhookId, digest.minuteMs);
    return event;
  }
}
