import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './events.js';

export const WebhookFormatSchema = z.enum(['json', 'alertmanager', 'pagerduty', 'slack']);
export type WebhookFormat = z.infer<typeof WebhookFormatSchema>;

/** Events a webhook may subscribe to (the test event is always delivered on request; digests come with anomalies). */
export const SubscribableEventSchema = z.enum(
  WEBHOOK_EVENT_TYPES.filter((t) => t !== 'webhook.test' && t !== 'anomaly.digest'),
);

/**
 * Formats that carry anomalies. Alertmanager and PagerDuty page: one alert or page per anomalous trace is the
 * firehose alerting systems are spared, and a per-minute digest would open a new alert every minute that
 * nothing resolves. They take incidents, which open once and resolve.
 */
export const ANOMALY_FORMATS: readonly WebhookFormat[] = ['json', 'slack'];

export const DEFAULT_MAX_PER_MINUTE = 10;

/** How a webhook subscribed to `anomaly.detected` gets anomalies. */
export const AnomalyDeliverySchema = z
  .strictObject({
    mode: z
      .enum(['digest', 'each'])
      .default('digest')
      .describe(
        'digest: one anomaly.digest a minute listing the top 10 anomalies by rank and the count of all. ' +
          'each: one anomaly.detected per anomaly up to maxPerMinute a minute, the rest of the minute in a digest.',
      ),
    maxPerMinute: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        `mode each: single messages a minute before the rest is folded into a digest (default ${DEFAULT_MAX_PER_MINUTE})`,
      ),
  })
  .refine((a) => a.mode === 'each' || a.maxPerMinute === undefined, {
    message: 'maxPerMinute applies to mode "each" only (a digest is one message a minute)',
    path: ['maxPerMinute'],
  });

const fields = {
  url: z.url({ protocol: /^https?$/, error: 'url must be an absolute http or https URL' }).max(2048),
  /**
   * json/alertmanager/slack: the Standard Webhooks signing secret (`whsec_<base64>` or any string, used as
   * raw UTF-8 bytes). pagerduty: the Events API v2 routing key.
   */
  secret: z.string().min(1).max(512).optional(),
  format: WebhookFormatSchema.default('json'),
  /** Default: the incident events; `anomaly.detected` (one per anomalous trace) must be asked for. */
  events: z.array(SubscribableEventSchema).min(1).optional(),
  /** With `anomaly.detected` in events: a digest a minute (default) or single messages up to a cap. */
  anomalies: AnomalyDeliverySchema.optional(),
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

const wantsAnomalies = (w: { events?: readonly string[] }) => !!w.events?.includes('anomaly.detected');

/**
 * POST /v1/webhooks body. The anomaly rules hold for new webhooks only: a stored one from before them stays
 * readable (its incident events keep flowing) and simply gets no anomalies where its format takes none.
 */
export const CreateWebhookSchema = z
  .strictObject(fields)
  .refine(needsRoutingKey, routingKeyIssue)
  .refine((w) => !wantsAnomalies(w) || ANOMALY_FORMATS.includes(w.format), {
    message:
      'anomaly.detected is sent to json and slack webhooks only: alertmanager and pagerduty would page once per ' +
      'trace; subscribe them to incident events (the default) and send anomalies to a json or slack webhook',
    path: ['events'],
  })
  .refine((w) => w.anomalies === undefined || wantsAnomalies(w), {
    message: 'anomalies settings need "anomaly.detected" in events',
    path: ['anomalies'],
  });
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

/** A webhook as the API shows it (see redactWebhook). */
export type ShownWebhook = Omit<Webhook, 'secret'> & { secret?: string };

/**
 * The URL as the API shows it: scheme, host and the first path segment. Receivers put credentials in the
 * rest (Slack's incoming-webhook path is its token; others take `?token=` or user:password@), and read keys
 * list webhooks.
 */
function redactUrl(url: string): string {
  const u = new URL(url);
  const [first, ...rest] = u.pathname.split('/').filter(Boolean);
  const hidden = rest.length > 0 || u.search !== '' || u.username !== '' || u.password !== '';
  return `${u.protocol}//${u.host}/${first ?? ''}${hidden ? (first ? '/…' : '…') : ''}`;
}

/** The webhook as the API shows it: neither the secret nor a credential in the URL is echoed back in full. */
export function redactWebhook(w: Webhook): ShownWebhook {
  const url = redactUrl(w.url);
  if (!w.secret) return { ...w, url };
  const shown = w.secret.startsWith('whsec_')
    ? 'whsec_'
    : w.secret.slice(0, Math.min(4, w.secret.length >> 2));
  return { ...w, url, secret: `${shown}…` };
}

/** The webhook's anomaly delivery with its defaults filled in. */
export function anomalyDelivery(w: Pick<Webhook, 'anomalies'>): {
  mode: 'digest' | 'each';
  maxPerMinute: number;
} {
  const mode = w.anomalies?.mode ?? 'digest';
  return { mode, maxPerMinute: mode === 'each' ? (w.anomalies?.maxPerMinute ?? DEFAULT_MAX_PER_MINUTE) : 0 };
}
