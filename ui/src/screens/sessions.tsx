import { useState } from 'preact/hooks';
import { api, query, type Session, type SessionSummary } from '../api.js';
import { lasted, ms, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, replaceParams } from '../router.js';
import { FirstCause } from '../first-cause.js';

const POLL_MS = 10_000;

/** Recent sessions (traces tied by a session or user id), newest activity first, searchable by id prefix. */
export function SessionsScreen({ params }: { params: URLSearchParams }) {
  const q = params.get('q') ?? '';
  const [typed, setTyped] = useState(q);
  const page = useLoad(
    () => api<{ items: SessionSummary[] }>(`/v1/sessions${query({ q, limit: 100 })}`),
    [q],
    POLL_MS,
  );
  return (
    <section>
      <h1>Sessions</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          replaceParams(['sessions'], { q: typed.trim() || undefined });
        }}
      >
        <label>
          Session id
          <input
            type="search"
            placeholder="session or user id, or its start"
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Search</button>
      </form>
      {page.error && <p class="error">Could not load sessions: {page.error}</p>}
      {!page.data && page.loading && <p class="muted">Loading…</p>}
      {page.data && page.data.items.length === 0 && (
        <p class="muted">
          {q
            ? `No session id starts with "${q}".`
            : 'No sessions yet: traces join one when a span carries a session attribute (TRACEHOUND_SESSION_ATTRIBUTES).'}
        </p>
      )}
      {page.data && page.data.items.length > 0 && (
        <table data-testid="session-list">
          <thead>
            <tr>
              <th>Session</th>
              <th>Last trace</th>
              <th class="num">Lasted</th>
              <th class="num">Traces</th>
              <th class="num">Anomalies</th>
            </tr>
          </thead>
          <tbody>
            {page.data.items.map((s) => {
              const link = href(['sessions', s.id]);
              return (
                <tr
                  key={s.id}
                  data-testid="session-row"
                  class="link-row"
                  onClick={() => (location.hash = link)}
                >
                  <td>
                    <a class="mono" href={link}>
                      {s.id}
                    </a>
                  </td>
                  <td class="nowrap">{time(s.lastSeen)}</td>
                  <td class="num">{lasted(Date.parse(s.lastSeen) - Date.parse(s.firstSeen))}</td>
                  <td class="num">{s.traces}</td>
                  <td class="num">{s.anomalies > 0 ? <b>{s.anomalies}</b> : 0}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One session: its traces in time order, the anomalous ones marked with their first cause. */
export function SessionScreen({ id }: { id: string }) {
  const s = useLoad(() => api<Session>(`/v1/sessions/${encodeURIComponent(id)}`), [id], POLL_MS);
  if (s.error && !s.data)
    return (
      <p class="error">
        Could not load session {id}: {s.error}
      </p>
    );
  if (!s.data) return <p class="muted">Loading…</p>;
  const x = s.data;
  return (
    <section>
      <p>
        <a href={href(['sessions'])}>← Sessions</a>
      </p>
      <h1>
        Session <span class="mono">{x.id}</span>
      </h1>
      <p class="facts">
        <span>
          {x.traces} traces, {x.anomalies} anomalous
        </span>
        <span>
          {time(x.firstSeen)} to {time(x.lastSeen)}
        </span>
        {x.items[0] && <span class="muted">by {x.items[0].attribute}</span>}
      </p>
      <table data-testid="session-traces">
        <thead>
          <tr>
            <th>Time</th>
            <th>Endpoint</th>
            <th class="num">Duration</th>
            <th class="num">Score</th>
            <th>First root cause</th>
          </tr>
        </thead>
        <tbody>
          {x.items.map((t) => (
            <SessionTraceRow key={t.traceId} t={t} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function SessionTraceRow({ t }: { t: Session['items'][number] }) {
  const link = t.anomalous ? href(['anomalies', t.traceId]) : undefined;
  const rc = t.rootCause;
  return (
    <tr
      data-testid="session-trace"
      data-id={t.traceId}
      data-anomalous={String(t.anomalous)}
      class={link ? 'link-row' : undefined}
      onClick={link ? () => (location.hash = link) : undefined}
    >
      <td class="nowrap">
        {time(t.startTime)}
        {t.anomalous && <span class="badge err">anomaly</span>}
      </td>
      <td>
        {link ? (
          <a href={link}>
            {t.service}: {t.operation}
          </a>
        ) : (
          `${t.service}: ${t.operation}`
        )}
      </td>
      <td class="num">{ms(t.durationMs)}</td>
      <td class="num">
        <span class="score" style={{ '--s': t.anomalous ? t.score : 0 }}>
          {t.score.toFixed(2)}
        </span>
      </td>
      <td>
        <FirstCause cause={rc} none={t.anomalous ? 'none named' : 'normal'} />
      </td>
    </tr>
  );
}
