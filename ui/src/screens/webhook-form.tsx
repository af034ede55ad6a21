import { useState } from 'preact/hooks';
import type { CreateWebhookInput, WebhookFormat } from '../../../src/webhooks/schema.js';
import { api } from '../api.js';
import { WEBHOOK_EVENT_TYPES } from '../../../src/webhooks/events.js';

/** What a webhook created without `events` gets: the incident events (anomalies must be asked for). */
export const INCIDENT_EVENTS = WEBHOOK_EVENT_TYPES.filter((t): t is Extract<typeof t, `incident.${string}`> =>
  t.startsWith('incident.'),
);

const FORMATS: WebhookFormat[] = ['json', 'slack', 'alertmanager', 'pagerduty'];
/** Alertmanager and PagerDuty page, so the API refuses them anomalies (one page per trace). */
const TAKES_ANOMALIES: WebhookFormat[] = ['json', 'slack'];

/** A webhook in its simplest useful form; the API's checks (URL guard, format rules) answer in the error line. */
export function WebhookForm({ created }: { created: () => void }) {
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<WebhookFormat>('json');
  const [secret, setSecret] = useState('');
  const [anomalies, setAnomalies] = useState(false);
  const [services, setServices] = useState('');
  const [error, setError] = useState<string>();
  const canAnomalies = TAKES_ANOMALIES.includes(format);
  const submit = async () => {
    const body: CreateWebhookInput = { url: url.trim(), format };
    if (secret.trim()) body.secret = secret.trim();
    if (anomalies && canAnomalies) body.events = [...INCIDENT_EVENTS, 'anomaly.detected'];
    const names = services
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length) body.services = names;
    try {
      await api('/v1/webhooks', { method: 'POST', body });
      setUrl('');
      setSecret('');
      setServices('');
      setAnomalies(false);
      setError(undefined);
      created();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form
      class="webhook-form"
      data-testid="webhook-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2>Add a webhook</h2>
      <p class="actions">
        <input
          class="wide"
          placeholder="https://receiver.example.com/hook"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <select
          aria-label="format"
          value={format}
          onChange={(e) => setFormat(e.currentTarget.value as WebhookFormat)}
        >
          {FORMATS.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
        <input
          type="password"
          placeholder={format === 'pagerduty' ? 'routing key' : 'signing secret (optional)'}
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
      </p>
      <p class="actions">
        <input
          class="wide"
          placeholder="only services (comma-separated, optional)"
          value={services}
          onInput={(e) => setServices(e.currentTarget.value)}
        />
        <label class={canAnomalies ? '' : 'muted'}>
          <input
            type="checkbox"
            disabled={!canAnomalies}
            checked={anomalies && canAnomalies}
            onChange={(e) => setAnomalies(e.currentTarget.checked)}
          />{' '}
          anomalies too (a digest a minute), not only incidents
        </label>
        <button type="submit" disabled={!url.trim()}>
          Add webhook
        </button>
      </p>
      {error && <p class="error">{error}</p>}
    </form>
  );
}
