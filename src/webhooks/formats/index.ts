import type { DeliveredEvent } from '../events.js';
import type { WebhookFormat } from '../schema.js';
import { standardWebhookHeaders } from '../signing.js';
import { alertmanagerPayload } from './alertmanager.js';
import type { RenderContext } from './common.js';
import { jsonPayload } from './json.js';
import { pagerdutyPayload } from './pagerduty.js';
import { slackPayload } from './slack.js';
import { slackDigestPayload } from './slack-digest.js';

export type { RenderContext } from './common.js';

export interface RenderedRequest {
  headers: Record<string, string>;
  body: string;
}

/** The payload object of one format (pure). */
export function renderPayload(format: WebhookFormat, event: DeliveredEvent, ctx: RenderContext): unknown {
  if (event.type === 'anomaly.digest') {
    // Only json and slack webhooks are sent anomalies (schema.ts ANOMALY_FORMATS), so only they get digests.
    if (format === 'json') return jsonPayload(event);
    if (format === 'slack') return slackDigestPayload(event, ctx);
    throw new Error(`format ${format} does not carry anomaly digests`);
  }
  switch (format) {
    case 'json':
      return jsonPayload(event);
    case 'alertmanager':
      return alertmanagerPayload(event, ctx);
    case 'pagerduty':
      return pagerdutyPayload(event, ctx);
    case 'slack':
      return slackPayload(event, ctx);
  }
}

/**
 * Body and headers of one delivery attempt. Every format carries webhook-id/webhook-timestamp; those with a
 * signing secret carry webhook-signature too, except pagerduty, whose secret is a routing key, not a key.
 */
export function renderRequest(
  format: WebhookFormat,
  event: DeliveredEvent,
  ctx: RenderContext,
  timestampS: number,
): RenderedRequest {
  const body = JSON.stringify(renderPayload(format, event, ctx));
  const secret = format === 'pagerduty' ? undefined : ctx.secret;
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Tracehound-Webhooks/1',
      ...standardWebhookHeaders(ctx.deliveryId, timestampS, body, secret),
    },
  };
}
