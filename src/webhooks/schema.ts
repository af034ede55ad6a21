import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './events.js';

export const WebhookFormatSchema = z.enum(['json', 'alertmanager', 'pagerduty', 'slack']);
export type WebhookFormat = z.infer<typeof WebhookFormatSchema>;

/** Events a webhook may subscribe to (the test event is always delivered on request). */
export const SubscribableEventSchema = z.enum(WEBHOOK_EVENT_TYPES.filter((t) => t !== 'webhook.test'));

const fields = {
  url: z.url({ protocol: /^https?$/, error: 'url must be an absolute http or https URL' }).max(2048),
  /**
   * json/alertmanager/slack: the Standard Webhooks signing secret (`whsec_<base64>` or any string, used as
   * raw UTF-8 bytes). pagerduty: the Events API v2 routing key.
   */
  secret: z.string().min(1).max(512).optional(),
  format: WebhookFormatSchema.default('json'),
  /** Default: every event. */
  events: z.array(SubscribableEventSchema).min(1).optional(),
  /** Anomalies scoring below are not sent (incident events ignore it, so a resolve never goes missing). */
  minScore: z.number().min(0).max(1).optional(),
  /** Only anomalies/incidents whose service, or any root-cause service, is one of these. */
  services: z.array(z.string().min(1)).min(1).optional(),
  /** Only anomalies/incidents on one of these `service:operation` endpoints. */
  endpoints: z
    .array(z.string().regex(/^[^:]+:.+$/, 'an endpoint is "service:operation"'))
    .min(1)
    .optional(),
};

const needsRoutingKey = (w: { format?: string; secret?: string }) => w.format !== 'pagerduty' || !!w.secret;
const routingKeyIssue = {
  message: 'format pagerduty needs secret (the Events API v2 routing key)',
  path: ['secret'],
};

/** POST /v1/webhooks body. */
export const CreateWebhookSchema = z.strictObject(fields).refine(needsRoutingKey, routingKeyIssue);
export type CreateWebhookInput = z.input<typeof CreateWebhookSchema>;

/** A stored webhook. */
export const WebhookSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    ...fields,
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    /** Why the service turned it off (for instance the receiver answered 410 Gone). */
    disabledReason: z.string().optional(),
  })
  .refine(needsRoutingKey, routingKeyIssue);
export type Webhook = z.infer<typeof WebhookSchema>;

/** The webhook as the API shows it: the secret is never echoed back in full. */
export function redactWebhook(w: Webhook): Omit<Webhook, 'secret'> & { secret?: string } {
  if (!w.secret) return w;
  const shown = w.secret.startsWith('whsec_')
    ? 'whsec_'
    : w.secret.slice(0, Math.min(4, w.secret.length >> 2));
  return { ...w, secret: `${shown}…` };
}
