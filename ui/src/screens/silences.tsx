import { useState } from 'preact/hooks';
import type { Silence } from '../../../src/webhooks/silence.js';
import { api } from '../api.js';
import { time } from '../format.js';
import { useLoad } from '../hooks.js';

const DURATIONS = [
  ['30 min', 30],
  ['1 h', 60],
  ['4 h', 240],
  ['1 day', 1440],
] as const;

/**
 * Silences in force, and (admin keys) a form to add one: no pages about a service or endpoint for a while,
 * while anomalies and incidents are still recorded and shown here. `suggest` fills the form in (an incident's
 * first suspect, on its page).
 */
export function Silences({ admin, suggest }: { admin: boolean; suggest?: string }) {
  const list = useLoad(() => api<{ items: Silence[] }>('/v1/silences'), [], 30_000);
  const [target, setTarget] = useState(suggest ?? '');
  const [minutes, setMinutes] = useState(60);
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const act = async (run: () => Promise<unknown>) => {
    try {
      await run();
      setError(undefined);
      list.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const add = () => {
    const t = target.trim();
    const what = t.includes(':') ? { endpoint: t } : { service: t };
    return act(async () => {
      await api('/v1/silences', { method: 'POST', body: { ...what, minutes, ...(note ? { note } : {}) } });
      setTarget('');
      setNote('');
    });
  };
  const items = list.data?.items ?? [];
  return (
    <div class="silences" data-testid="silences">
      <h2>Silences</h2>
      {items.length === 0 && <p class="muted">None: every page goes out.</p>}
      {items.length > 0 && (
        <table>
          <tbody>
            {items.map((s) => (
              <tr key={s.id} data-testid="silence">
                <td>
                  <b>{s.service ?? s.endpoint}</b>
                </td>
                <td>until {time(s.until)}</td>
                <td class="muted">{s.note}</td>
                <td class="num">
                  {admin && (
                    <button
                      type="button"
                      onClick={() => act(() => api(`/v1/silences/${s.id}`, { method: 'DELETE' }))}
                    >
                      End now
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {admin && (
        <form
          class="actions"
          onSubmit={(e) => {
            e.preventDefault();
            void add();
          }}
        >
          <input
            placeholder="service, or service:operation"
            value={target}
            onInput={(e) => setTarget(e.currentTarget.value)}
          />
          <select value={minutes} onChange={(e) => setMinutes(Number(e.currentTarget.value))}>
            {DURATIONS.map(([label, m]) => (
              <option key={m} value={m}>
                {label}
              </option>
            ))}
          </select>
          <input placeholder="why (optional)" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          <button type="submit" disabled={!target.trim()}>
            Silence
          </button>
        </form>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}
