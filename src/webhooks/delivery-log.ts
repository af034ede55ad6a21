import type { RedisClient } from '../store/redis-client.js';
import type { DeliveredEvent } from './events.js';
import { webhookDeadKey, webhookLogKey } from './store.js';

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'disabled' | 'skipped' | 'test';

/** One attempt, newest first in the webhook's log list (webhookLogKey). */
export interface DeliveryLogEntry {
  deliveryId: string;
  /** Event type. */
  event: string;
  eventId: string;
  attempt: number;
  /** HTTP status; 0 when there was no response. */
  status: number;
  outcome: DeliveryOutcome;
  ms: number;
  error?: string;
  /** ISO time. */
  at: string;
}

/** A delivery that will not be retried, with the event so it can be replayed by hand. */
export interface DeadLetter {
  deliveryId: string;
  webhookId: string;
  attempts: number;
  status: number;
  error: string;
  at: string;
  event: DeliveredEvent;
}

export async function appendDeliveryLog(
  redis: RedisClient,
  webhookId: string,
  entry: DeliveryLogEntry,
  cap: number,
) {
  const key = webhookLogKey(webhookId);
  await redis
    .multi()
    .lpush(key, JSON.stringify(entry))
    .ltrim(key, 0, cap - 1)
    .exec();
}

/**
 * Replaces any earlier dead letter of the same delivery, so a worker that crashes after writing it and runs
 * the job again never leaves two.
 */
const PUSH_DEAD_SCRIPT = `
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for _, raw in ipairs(items) do
  local ok, d = pcall(cjson.decode, raw)
  if ok and type(d) == 'table' and d['deliveryId'] == ARGV[1] then redis.call('LREM', KEYS[1], 0, raw) end
end
redis.call('LPUSH', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
return 1`;

export async function pushDeadLetter(redis: RedisClient, letter: DeadLetter, cap: number) {
  await redis.eval(
    PUSH_DEAD_SCRIPT,
    1,
    webhookDeadKey(letter.webhookId),
    letter.deliveryId,
    JSON.stringify(letter),
    cap,
  );
}

async function readList<T>(redis: RedisClient, key: string, limit: number): Promise<T[]> {
  const raws = await redis.lrange(key, 0, limit - 1);
  const out: T[] = [];
  for (const raw of raws) {
    try {
      out.push(JSON.parse(raw) as T);
    } catch {
      console.warn(`${key}: skipped an entry that is not JSON`);
    }
  }
  return out;
}

export const readDeliveryLog = (redis: RedisClient, webhookId: string, limit = 100) =>
  readList<DeliveryLogEntry>(redis, webhookLogKey(webhookId), limit);

export const readDeadLetters = (redis: RedisClient, webhookId: string, limit = 100) =>
  readList<DeadLetter>(redis, webhookDeadKey(webhookId), limit);
