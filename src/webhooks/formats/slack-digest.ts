import type { AnomalyDigestWebhookEvent, DigestItem } from '../events.js';
import { truncate, type RenderContext } from './common.js';
import { anomalySeverity } from './severity.js';
import { esc, type SlackMessage } from './slack.js';

/** A channel reads a short list; the json digest carries all ten. */
export const SLACK_DIGEST_LINES = 5;
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const LINE_MAX = 400;

/** "10:01" (UTC) */
const hhmm = (iso: string) => iso.slice(11, 16);

function line(item: DigestItem, n: number): string {
  const name = item.link ? `<${item.link}|${esc(item.endpoint)}>` : esc(item.endpoint);
  const c = item.rootCause;
  const cause = c ? ` — likely ${esc(c.where)}: ${esc(c.evidence)}` : '';
  return truncate(
    `${n}. *${name}* ${item.score.toFixed(2)} (${anomalySeverity(item.score)})${cause}`,
    LINE_MAX,
  );
}

/** One message for a minute of anomalies: how many, the top few with their likely cause, how many more. */
export function slackDigestPayload(event: AnomalyDigestWebhookEvent, ctx: RenderContext): SlackMessage {
  const d = event.data;
  const rest = d.count - d.sentSingly;
  const end = new Date(Date.parse(d.minute) + 60_000).toISOString();
  const title =
    d.sentSingly > 0
      ? `${rest} more anomalous trace${rest === 1 ? '' : 's'}, ${hhmm(d.minute)}–${hhmm(end)} UTC (${d.count} in all)`
      : `${d.count} anomalous trace${d.count === 1 ? '' : 's'}, ${hhmm(d.minute)}–${hhmm(end)} UTC`;
  const shown = d.top.slice(0, SLACK_DIGEST_LINES);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, HEADER_MAX), emoji: true } },
  ];
  if (d.sentSingly > 0)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${d.sentSingly} were sent one by one; the top of the others:` }],
    });
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(shown.map((it, i) => line(it, i + 1)).join('\n'), TEXT_MAX) },
  });
  if (rest > shown.length)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${rest - shown.length} more` }],
    });
  if (ctx.publicUrl)
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Open Tracehound' }, url: ctx.publicUrl },
      ],
    });
  const top = shown[0];
  const lead = top
    ? ` Top: ${top.endpoint} ${top.score.toFixed(2)}${top.rootCause ? ` (likely ${top.rootCause.where})` : ''}.`
    : '';
  return { text: truncate(`:mag: ${esc(title)}.${esc(lead)}`, TEXT_MAX), blocks };
}
