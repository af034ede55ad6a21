import { randomBytes } from 'node:crypto';
import { CreateWebhookSchema, WebhookSchema, type CreateWebhookInput, type Webhook } from './schema.js';
import { checkWebhookUrl, type ResolveAll } from './url-guard.js';
import type { RedisClient } from '../store/redis-client.js';

/** One hash tag for every webhook key: create, list and delete touch several at once, which a Redis Cluster
 *  allows only within one slot; webhooks are few and their logs capped. */
export const WEBHOOK_IDS_KEY = 'th:{wh}:ids';
export const webhookKey = (id: string) => `th:{wh}:${id}`;
export const webhookLogKey = (id: string) => `th:{wh}:${id}:log`;
export const webhookDeadKey = (id: string) => `th:{wh}:${id}:dead`;

export interface WebhookStoreOptions {
  allowPrivate?: boolean;
  resolve?: ResolveAll;
  /** ISO time source (tests). */
  now?: () => string;
}

/** Disables in place only if the webhook still exists, so a disable racing a delete never resurrects it. */
const DISABLE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local w = cjson.decode(raw)
w['enabled'] = ARGV[1] == '1'
if ARGV[2] == '' then w['disabledReason'] = nil else w['disabledReason'] = ARGV[2] end
redis.call('SET', KEYS[1], cjson.encode(w))
return 1`;

/** Webhooks in Redis: one JSON string per webhook plus a set of ids. */
export class WebhookStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly opts: WebhookStoreOptions = {},
  ) {}

  /**
   * Validates the body (CreateWebhookSchema) and the target URL (SSRF guard), then stores it.
   * Passing `id` makes the call idempotent (a retried create overwrites the same webhook).
   */
  async create(input: CreateWebhookInput, id?: string): Promise<Webhook> {
    const body = CreateWebhookSchema.parse(input);
    await checkWebhookUrl(body.url, { allowPrivate: this.opts.allowPrivate, resolve: this.opts.resolve });
    const webhook = WebhookSchema.parse({
      ...body,
      id: id ?? `wh_${randomBytes(12).toString('base64url')}`,
      enabled: true,
      createdAt: this.opts.now?.() ?? new Date().toISOString(),
    });
    await this.redis
      .multi()
      .set(webhookKey(webhook.id), JSON.stringify(webhook))
      .sadd(WEBHOOK_IDS_KEY, webhook.id)
      .exec();
    return webhook;
  }

  async get(id: string): Promise<Webhook | undefined> {
    const raw = await this.redis.get(webhookKey(id));
    return raw ? this.decode(id, raw) : undefined;
  }

  /** Every webhook, by creation time. A stored record that no longer validates is skipped with a warning. */
  async list(): Promise<Webhook[]> {
    const ids = await this.redis.smembers(WEBHOOK_IDS_KEY);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map(webhookKey));
    const out: Webhook[] = [];
    ids.forEach((id, i) => {
      const w = raws[i] ? this.decode(id, raws[i]) : undefined;
      if (w) out.push(w);
    });
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Removes the webhook, its delivery log and dead letters. Queued deliveries are dropped by the worker. */
  async delete(id: string): Promise<boolean> {
    const res = await this.redis
      .multi()
      .del(webhookKey(id))
      .srem(WEBHOOK_IDS_KEY, id)
      .del(webhookLogKey(id), webhookDeadKey(id))
      .exec();
    return Number(res?.[0]?.[1] ?? 0) > 0;
  }

  /** Stops deliveries to the webhook, recording why. False when there is no such webhook. */
  async disable(id: string, reason: string): Promise<boolean> {
    return (await this.redis.eval(DISABLE_SCRIPT, 1, webhookKey(id), '0', reason)) === 1;
  }

  async enable(id: string): Promise<boolean> {
    return (await this.redis.eval(DISABLE_SCRIPT, 1, webhookKey(id), '1', '')) === 1;
  }

  private decode(id: string, raw: string): Webhook | undefined {
    try {
      return WebhookSchema.parse(JSON.parse(raw));
    } catch (err) {
      console.warn(`webhook ${id}: stored record is invalid and is skipped: ${(err as Error).message}`);
      return undefined;
    }
  }
}
