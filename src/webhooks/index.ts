export * from './events.js';
export * from './schema.js';
export { webhookFollows, webhookMatches } from './filter.js';
export { WebhookStore, webhookKey, webhookLogKey, webhookDeadKey, WEBHOOK_IDS_KEY } from './store.js';
export type { WebhookStoreOptions } from './store.js';
export {
  checkWebhookUrl,
  WebhookUrlError,
  resolveAll,
  type ResolveAll,
  type UrlGuardOptions,
} from './url-guard.js';
export { blockedAddressReason } from './ip-ranges.js';
export { signPayload, signingKey, standardWebhookHeaders } from './signing.js';
export { renderPayload, renderRequest, type RenderContext, type RenderedRequest } from './formats/index.js';
export { postWebhook, parseRetryAfter, closeWebhookAgents, type SendResult } from './send.js';
export { jitteredBackoff, DeliveryRetryError } from './backoff.js';
export type { DeliveryLogEntry, DeadLetter, DeliveryOutcome } from './delivery-log.js';
export {
  WebhookDispatcher,
  WEBHOOK_QUEUE,
  QUEUE_PREFIX,
  jobIdOf,
  type DeliveryJob,
  type WebhookDispatcherOptions,
  type TestResult,
} from './dispatcher.js';
