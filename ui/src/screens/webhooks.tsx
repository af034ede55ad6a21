import { useState } from 'preact/hooks';
import { api, type ShownWebhook, type WebhookDelivery } from '../api.js';
import { ms, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { INCIDENT_EVENTS, WebhookForm } from './webhook-form.js';
import { DeliveryTable } from '../delivery-table.js';

const POLL_MS = 10_000;
const LOG_SIZE = 20;

/** Webhooks with what they listen to and their recent deliveries; admin keys add, test and remove them. */
export function WebhooksScreen({ admin }: { admin: boolean }) {
  const list = useLoad(() => api<{ items: ShownWebhook[] }>('/v1/webhooks'), [], POLL_MS);
  if (list.error && !list.data) return <p class="error">Could not load webhooks: {list.error}</p>;
  if (!list.data) return <p class="muted">Loading…</p>;
  return (
    <section>
      <h1>Webhooks</h1>
      {list.data.items.length === 0 && <p class="muted">No webhook: nothing is sent anywhere.</p>}
      {list.data.items.map((w) => (
        <WebhookCard key={w.id} hook={w} admin={admin} removed={list.reload} />
      ))}
      {admin && <WebhookForm created={list.reload} />}
    </section>
  );
}

function WebhookCard({
  hook: w,
  admin,
  removed,
}: {
  hook: ShownWebhook;
  admin: boolean;
  removed: () => void;
}) {
  const log = useLoad(
    () =>
      api<{ items: WebhookDelivery[] }>(
        `/v1/webhooks/${encodeURIComponent(w.id)}/deliveries?limit=${LOG_SIZE}`,
      ),
    [w.id],
    POLL_MS,
  );
  const [test, setTest] = useState<WebhookDelivery>();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    try {
      await what();
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const sendTest = () =>
    run(async () => {
      setTest(
        await api<WebhookDelivery>(`/v1/webhooks/${encodeURIComponent(w.id)}/test`, { method: 'POST' }),
      );
      log.reload();
    });
  const remove = () =>
    run(async () => {
      await api(`/v1/webhooks/${encodeURIComponent(w.id)}`, { method: 'DELETE' });
      removed();
    });
  return (
    <div class="webhook" data-testid="webhook" data-id={w.id}>
      <h2>
        <span class="mono">{w.url}</span> <span class="badge diff">{w.format}</span>
        {!w.enabled && (
          <span class="badge err">disabled{w.disabledReason ? `: ${w.disabledReason}` : ''}</span>
        )}
      </h2>
      <p class="facts small">
        <span>events: {(w.events ?? INCIDENT_EVENTS).join(', ')}</span>
        {w.anomalies && <span>anomalies: {w.anomalies.mode}</span>}
        {w.services && <span>services: {w.services.join(', ')}</span>}
        {w.endpoints && <span>endpoints: {w.endpoints.join(', ')}</span>}
        {w.minScore !== undefined && <span>min score {w.minScore}</span>}
        {w.secret && <span class="muted">secret {w.secret}</span>}
        <span class="muted">added {time(w.createdAt)}</span>
      </p>
      {admin && (
        <p class="actions">
          <button type="button" disabled={busy} onClick={() => void sendTest()}>
            Send test
          </button>
          {confirming ? (
            <>
              <button type="button" disabled={busy} onClick={() => void remove()}>
                Delete, with its log
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              Delete…
            </button>
          )}
        </p>
      )}
      {test && (
        <p class={test.status === 'delivered' ? '' : 'error'} data-testid="test-result">
          Test {test.status}
          {test.httpStatus ? `: HTTP ${test.httpStatus}` : ''}
          {test.durationMs !== undefined ? ` in ${ms(test.durationMs)}` : ''}
          {test.error ? ` (${test.error})` : ''}
        </p>
      )}
      {error && <p class="error">{error}</p>}
      <DeliveryLog items={log.data?.items} error={log.error} />
    </div>
  );
}

function DeliveryLog({ items, error }: { items?: WebhookDelivery[]; error?: string }) {
  if (error && !items) return <p class="error">Could not load its deliveries: {error}</p>;
  if (!items) return <p class="muted">Loading deliveries…</p>;
  if (items.length === 0) return <p class="muted">Nothing delivered yet.</p>;
  return <DeliveryTable items={items} testid="delivery-log" rowTestid="delivery" />;
}
