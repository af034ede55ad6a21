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
import { testEvent, type WebhookEvent } from './events.js';
import { webhookFollows, webhookMatches } from './filter.js';
import { renderRequest } from './formats/index.js';
import type { Webhook } from './schema.js';
import { postWebhook, type SendResult } from './send.js';
import type { WebhookStore } from './store.js';
import type { ResolveAll } from './url-guard.js';

export const WEBHOOK_QUEUE = 'webhook-deliveries';
export const QUEUE_PREFIX = '{th}';

export interface DeliveryJob {
  deliveryId: string;
  webhookId: string;
  event: WebhookEvent;
}

export interface WebhookDispatcherOptions {
  /** ioredis with `maxRetriesPerRequest: null` (BullMQ needs it; commands then wait out a Redis restart). */
  connection: RedisClient;
  store: WebhookStore;
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
    Omit<WebhookDispatcherOptions, 'resolve' | 'publicUrl' | 'random' | 'connection' | 'store' | 'log'>
  >;

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
    };
    this.queue = new Queue<DeliveryJob>(WEBHOOK_QUEUE, { connection: opts.connection, prefix: QUEUE_PREFIX });
    this.queue.on('error', (err) => this.warn(`webhook queue: ${err.message}`));
  }

  /**
   * Queues one delivery per matching webhook; returns their delivery ids. Idempotent per event id.
   * `follow`: webhooks already told about this incident, which get the rest of its story even when their
   * filters no longer match (see webhookFollows).
   */
  async enqueue(event: WebhookEvent, opts: { follow?: readonly string[] } = {}): Promise<string[]> {
    const follow = new Set(opts.follow ?? []);
    const hooks = (await this.opts.store.list()).filter(
      (w) => webhookMatches(w, event) || (follow.has(w.id) && webhookFollows(w, event)),
    );
    if (hooks.length === 0) return [];
    const keep = { age: this.o.dedupeWindowS };
    const jobs = hooks.map((w) => {
      const deliveryId = `${event.id}:${w.id}`;
      return {
        name: event.type,
        data: { deliveryId, webhookId: w.id, event },
        opts: {
          jobId: jobIdOf(deliveryId),
          attempts: this.o.attempts,
          backoff: { type: 'webhook' },
          removeOnComplete: keep,
          removeOnFail: keep,
        },
      };
    });
    await this.queue.addBulk(jobs);
    return jobs.map((j) => j.data.deliveryId);
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

  private send(hook: Webhook, event: WebhookEvent, deliveryId: string): Promise<SendResult> {
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
    event: WebhookEvent,
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
    const { deliveryId, webhookId, event } = job.data;
    const attempt = job.attemptsMade + 1;
    const hook = await this.opts.store.get(webhookId);
    if (!hook) return { skipped: 'webhook deleted' };
    if (!hook.enabled) {
      const why = `webhook disabled${hook.disabledReason ? `: ${hook.disabledReason}` : ''}`;
      await this.log(webhookId, deliveryId, event, attempt, { status: 0, ms: 0, error: why }, 'skipped');
      return { skipped: why };
    }
    const r = await this.send(hook, event, deliveryId);
    if (r.status >= 200 && r.status < 300) {
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
}
