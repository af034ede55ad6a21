import { api, type Incident } from '../api.js';
import { pct, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { href } from '../router.js';
import { IncidentActions } from './incident-actions.js';
import { IncidentDeliveries, IncidentWindow } from './incident-context.js';
import { causeName } from './incidents.js';
import { Silences } from './silences.js';

type Signal = Incident['signals'][number];
const MINUTE_US = 60_000_000;

/** One incident: its window, ranked root causes with evidence, a timeline of its signals, its traces. */
export function IncidentScreen({ id, admin }: { id: string; admin: boolean }) {
  const inc = useLoad(() => api<Incident>(`/v1/incidents/${encodeURIComponent(id)}`), [id], 15_000);
  if (inc.error)
    return (
      <p class="error">
        Could not load incident {id}: {inc.error}
      </p>
    );
  if (!inc.data) return <p class="muted">Loading…</p>;
  const i = inc.data;
  return (
    <section>
      <p>
        <a href={href(['incidents'])}>← Incidents</a>
      </p>
      <h1>
        Incident <span class="mono">{i.id}</span> <span class={`status ${i.status}`}>{i.status}</span>
      </h1>
      <p class="facts">
        <span>
          {time(i.start)} – {time(i.end)}
        </span>
        {i.openedAt && <span>paged at {time(i.openedAt)}</span>}
        {i.resolvedAt && <span>resolved at {time(i.resolvedAt)}</span>}
        <span>{i.endpoints.join(', ')}</span>
      </p>
      <IncidentActions incident={i} admin={admin} changed={inc.reload} />
      <h2>Root causes</h2>
      <ol class="causes" data-testid="incident-causes">
        {i.rootCauses.map((c, k) => (
          <li key={k}>
            <div class="cause-head">
              <span class="rank">#{k + 1}</span>
              <b>{causeName(c)}</b>
              {c.attribute && <span class="kind">{c.attribute}</span>}
              <span class="share" title="relative likelihood">
                <span style={{ width: pct(c.score) }} />
              </span>
              {pct(c.score)}
            </div>
            <div class="evidence">{c.evidence}</div>
          </li>
        ))}
      </ol>
      {i.rootCauses.length === 0 && <p class="muted">No root cause named yet.</p>}
      <h2>Signals</h2>
      <Timeline signals={i.signals} start={Date.parse(i.start) * 1000} end={Date.parse(i.end) * 1000} />
      <h2>Against the hour before</h2>
      <IncidentWindow incident={i} />
      <h2>Traces ({i.traceCount})</h2>
      <ul class="traces" data-testid="incident-traces">
        {i.traceIds.map((t) => (
          <li key={t}>
            <a class="mono" href={href(['anomalies', t])}>
              {t}
            </a>
          </li>
        ))}
      </ul>
      {i.traceCount > i.traceIds.length && (
        <p class="muted">and {i.traceCount - i.traceIds.length} more (the highest-scored are listed)</p>
      )}
      <h2>Webhook deliveries</h2>
      <IncidentDeliveries id={i.id} />
      {i.status === 'open' && <Silences admin={admin} suggest={i.rootCauses[0]?.service} />}
    </section>
  );
}

/** One row per target and kind; each signal a mark at its minute, as wide as the minutes it covers. */
function Timeline({ signals, start, end }: { signals: Signal[]; start: number; end: number }) {
  const t0 = Math.min(start, ...signals.map((s) => s.minute - ((s.windowMinutes ?? 1) - 1) * MINUTE_US));
  const t1 = Math.max(end, ...signals.map((s) => s.minute + MINUTE_US));
  const span = Math.max(MINUTE_US, t1 - t0);
  const rows = new Map<string, Signal[]>();
  for (const s of signals) {
    const k = `${s.kind} · ${s.target.key}`;
    rows.set(k, [...(rows.get(k) ?? []), s]);
  }
  return (
    <div class="timeline" data-testid="timeline">
      <div class="tl-row tl-axis">
        <div class="tl-label" />
        <div class="tl-track">
          <span style={{ left: 0 }}>{time(t0 / 1000)}</span>
          <span style={{ right: 0 }}>{time(t1 / 1000)}</span>
        </div>
      </div>
      {[...rows].map(([k, ss]) => (
        <div key={k} class="tl-row">
          <div class="tl-label" title={k}>
            {k}
          </div>
          <div class="tl-track">
            {ss.map((s, j) => {
              const w = (s.windowMinutes ?? 1) * MINUTE_US;
              return (
                <span
                  key={j}
                  class="tl-mark"
                  title={`${s.evidence} (strength ${s.strength.toFixed(1)})`}
                  style={{
                    left: `${((s.minute + MINUTE_US - w - t0) / span) * 100}%`,
                    width: `${(w / span) * 100}%`,
                    opacity: Math.min(1, 0.35 + s.strength / 10),
                  }}
                />
              );
            })}
          </div>
          <div class="tl-evidence">{ss[0].evidence}</div>
        </div>
      ))}
    </div>
  );
}
