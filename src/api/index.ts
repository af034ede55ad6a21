export { buildApi, type ApiDeps, type ApiOptions } from './server.js';
export { parseApiKeys, keyMatcher, type Role } from './auth.js';
export { ApiError } from './errors.js';
export { payloadScorer, type ScoreFn } from './routes/score.js';
export type { ModelsApi } from './routes/models.js';
export type { WebhooksApi } from './routes/webhooks.js';
export type { AnomaliesApi } from './routes/anomalies.js';
export {
  MetricsRegistry,
  Counter,
  Gauge,
  Histogram,
  PROMETHEUS_CONTENT_TYPE,
} from '../observability/metrics.js';
export { TokenBuckets, type RateLimitOptions } from './rate-limit.js';
export type { ModelInfo, ScoreResult, WebhookDelivery } from './schemas.js';
