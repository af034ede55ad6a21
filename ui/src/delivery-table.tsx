import type { WebhookDelivery } from './api.js';
import { ms, time } from './format.js';

/**
 * Webhook deliveries as a table: one webhook's log (its screen) or one incident's deliveries across webhooks
 * (rows with a `url` get a Webhook column).
 */
export function DeliveryTable(props: {
  items: (WebhookDelivery & { url?: string })[];
  testid: string;
  rowTestid: string;
}) {
  const byWebhook = props.items.some((d) => d.url !== undefined);
  return (
    <table class="deliveries" data-testid={props.testid}>
      <thead>
        <tr>
          <th>Time</th>
          {byWebhook && <th>Webhook</th>}
          <th>Event</th>
          <th>Outcome</th>
          <th class="num">HTTP</th>
          <th class="num">Attempt</th>
          <th class="num">Took</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((d, k) => (
          <tr key={k} data-testid={props.rowTestid} data-status={d.status} data-event={d.event}>
            <td class="nowrap">{time(d.at)}</td>
            {byWebhook && <td class="mono small">{d.url}</td>}
            <td>{d.event ?? '–'}</td>
            <td class={d.status === 'failed' || d.status === 'disabled' ? 'error' : ''}>{d.status}</td>
            <td class="num">{d.httpStatus || '–'}</td>
            <td class="num">{d.attempts ?? '–'}</td>
            <td class="num">{d.durationMs !== undefined ? ms(d.durationMs) : '–'}</td>
            <td class="small">{d.error}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
