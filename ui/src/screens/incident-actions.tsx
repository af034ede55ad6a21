import { useState } from 'preact/hooks';
import { api, type Incident } from '../api.js';
import { time } from '../format.js';

/**
 * Who took the incident on and how it ended, and (admin keys, open incidents) the buttons to acknowledge
 * it (no more update pages) or resolve it by hand, with an optional note.
 */
export function IncidentActions({
  incident: i,
  admin,
  changed,
}: {
  incident: Incident;
  admin: boolean;
  changed: () => void;
}) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const act = async (kind: 'acknowledge' | 'resolve') => {
    setBusy(true);
    try {
      await api(`/v1/incidents/${encodeURIComponent(i.id)}/${kind}`, {
        method: 'POST',
        body: note.trim() ? { note: note.trim() } : {},
      });
      setNote('');
      setError(undefined);
      changed();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const open = i.status === 'open';
  return (
    <div class="incident-actions" data-testid="incident-actions">
      {i.acknowledgedAt && (
        <p data-testid="acknowledged">
          Acknowledged {i.acknowledgedBy && <>by {i.acknowledgedBy} </>}at {time(i.acknowledgedAt)}
          {i.acknowledgeNote && <span class="muted">: {i.acknowledgeNote}</span>}
          {open && <span class="muted"> (no more update pages)</span>}
        </p>
      )}
      {i.resolvedBy === 'manual' && (
        <p data-testid="resolved-by">
          Resolved by hand {i.resolvedByName && <>by {i.resolvedByName} </>}
          {i.resolvedAt && <>at {time(i.resolvedAt)}</>}
          {i.resolveNote && <span class="muted">: {i.resolveNote}</span>}
        </p>
      )}
      {admin && open && (
        <form
          class="actions"
          onSubmit={(e) => {
            e.preventDefault();
          }}
        >
          <input placeholder="note (optional)" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          {!i.acknowledgedAt && (
            <button type="button" disabled={busy} onClick={() => void act('acknowledge')}>
              Acknowledge
            </button>
          )}
          <button type="button" disabled={busy} onClick={() => void act('resolve')}>
            Resolve
          </button>
        </form>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}
