import type { Config } from '../config.js';
import { ModelCache, ModelRegistry } from '../registry/redis-registry.js';
import { AggregateStore } from '../store/aggregates.js';
import { AnomalyStore } from '../store/anomalies.js';
import type { RedisClient } from '../store/redis-client.js';
import { TraceReservoir } from '../store/reservoir.js';
import { SessionStore } from '../store/sessions.js';
import { SilenceStore } from '../store/silences.js';
import { SpanBuffer } from '../store/span-buffer.js';
import { WebhookStore } from '../webhooks/store.js';

/** The repositories every role of the service reads or writes, over one Redis connection. */
export interface ServiceStores {
  anomalies: AnomalyStore;
  reservoir: TraceReservoir;
  aggregates: AggregateStore;
  registry: ModelRegistry;
  models: ModelCache;
  spanBuffer: SpanBuffer;
  sessions: SessionStore;
  webhookStore: WebhookStore;
  silences: SilenceStore;
}

export function openStores(c: Config, redis: RedisClient): ServiceStores {
  const registry = new ModelRegistry(redis);
  return {
    anomalies: new AnomalyStore(redis, { maxAgeS: c.TRACEHOUND_RETENTION_DAYS * 86400 }),
    reservoir: new TraceReservoir(redis),
    aggregates: new AggregateStore(redis, { retentionS: c.TRACEHOUND_AGGREGATE_RETENTION_HOURS * 3600 }),
    registry,
    models: new ModelCache(registry),
    spanBuffer: new SpanBuffer(redis, undefined, c.TRACEHOUND_SESSION_ATTRIBUTES),
    sessions: new SessionStore(redis, { maxAgeS: c.TRACEHOUND_RETENTION_DAYS * 86400 }),
    webhookStore: new WebhookStore(redis, { allowPrivate: c.TRACEHOUND_WEBHOOK_ALLOW_PRIVATE }),
    silences: new SilenceStore(redis),
  };
}
