import type { WebhookEvent } from '../events.js';
import { causeLine, summarize, truncate, type RenderContext } from './common.js';

export interface SlackMessage {
  text: string;
  blocks: Record<string, unknown>[];
}

/** Slack mrkdwn treats these three as control characters. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;

/** An incoming-webhook message: header, facts as fields, the top root causes with evidence, a link button. */
export function slackPayload(event: WebhookEvent, ctx: RenderContext): SlackMessage {
  const s = summarize(event, ctx.publicUrl);
  const emoji = s.resolved
    ? ':white_check_mark:'
    : event.type === 'webhook.test'
      ? ':wave:'
      : event.type === 'incident.acknowledged'
        ? ':eyes:'
        : ':rotating_light:';
  const fields: { type: 'mrkdwn'; text: string }[] = [];
  const field = (label: string, value: string) =>
    fields.push({ type: 'mrkdwn', text: truncate(`*${label}*\n${esc(value)}`, FIELD_MAX) });
  field('Endpoint', s.endpoint);
  if (s.score !== undefined) field('Score', `${s.score.toFixed(2)} (${s.severity})`);
  if (s.durationMs !== undefined) field('Duration', `${s.durationMs} ms`);
  if (s.traceId) field(s.traceCount && s.traceCount > 1 ? `Traces (${s.traceCount})` : 'Trace', s.traceId);
  field(s.resolved ? 'Resolved' : 'Started', s.resolved && s.end ? s.end : s.start);
  if (s.acknowledgedBy !== undefined) field('Acknowledged by', s.acknowledgedBy);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(s.title, HEADER_MAX), emoji: true } },
    { type: 'section', fields },
  ];
  if (s.causes.length) {
    const lines = s.causes.map((c, i) => `${i + 1}. ${esc(causeLine(c))}`).join('\n');
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`*Top root causes*\n${lines}`, TEXT_MAX) },
    });
  }
  if (s.link) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: {
            type: 'plain_text',
            text: event.type === 'anomaly.detected' ? 'Open trace' : 'Open incident',
          },
          url: s.link,
        },
      ],
    });
  }
  const cause = s.causes[0] ? ` Likely cause: ${causeLine(s.causes[0])}` : '';
  return { text: truncate(`${emoji} ${esc(s.title)}.${esc(cause)}`, TEXT_MAX), blocks };
}
