export { buildApi, type ApiDeps } from './server.js';
export { parseApiKeys, keyMatcher } from './auth.js';
export { payloadScorer } from './routes/score.js';
export type { ModelsApi } from './routes/models.js';
export type { WebhooksApi } from './routes/webhooks.js';
export { MetricsRegistry } from '../observability/metrics.js';
export type { ModelInfo, WebhookDelivery } from './schemas.js';
