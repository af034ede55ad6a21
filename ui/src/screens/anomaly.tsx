import { useState } from 'preact/hooks';
import { api, type Anomaly } from '../api.js';
import { ms, pct, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, replaceParams } from '../router.js';
import { Waterfall } from '../trace-waterfall.js';
import { CompareView } from './compare.js';
import { Rarity } from '../rarity.js';

/**
 * One anomaly: its root causes with their share and evidence, the trace as a waterfall (or, compared with
 * normal, beside a typical normal trace with what differs), feedback. The comparison is kept in the address.
 */
export function AnomalyScreen({ id, admin, compare }: { id: string; admin: boolean; compare: boolean }) {
  const a = useLoad(() => api<Anomaly>(`/v1/anomalies/${encodeURIComponent(id)}`), [id]);
  if (a.error)
    return (
      <p class="error">
        Could not load anomaly {id}: {a.error}
      </p>
    );
  if (!a.data) return <p class="muted">Loading…</p>;
  const x = a.data;
  return (
    <section>
      <p>
        <a href={href(['anomalies'])}>← Anomalies</a>
      </p>
      <h1>
        {x.service}: {x.operation}
      </h1>
      <p class="facts">
        <span>{time(x.startTime)}</span>
        <span>{ms(x.durationMs)}</span>
        <span>{x.spanCount} spans</span>
        <span>
          score <b>{x.score.toFixed(2)}</b> <Rarity surprise={x.surprise} score={x.score} />
        </span>
        <span class="muted">
          {Object.entries(x.detectors)
            .map(([k, v]) => `${k} ${v.toFixed(2)}`)
            .join(' · ')}
        </span>
        <span class="muted mono">trace {x.traceId}</span>
        {x.link && (
          <a href={x.link} target="_blank" rel="noreferrer">
            Open in {x.link.includes('/zipkin') ? 'Zipkin' : 'Jaeger'} ↗
          </a>
        )}
      </p>
      <h2>Root causes</h2>
      {x.rootCauses.length === 0 && <p class="muted">No root cause named.</p>}
      <ol class="causes" data-testid="root-causes">
        {x.rootCauses.map((c, i) => (
          <li key={i}>
            <div class="cause-head">
              <span class="rank">#{i + 1}</span>
              <b>
                {c.service}
                {c.operation ? `: ${c.operation}` : ''}
              </b>
              {c.instance && <span class="muted"> on {c.instance}</span>}{' '}
              <span class={`kind ${c.kind}`}>{c.kind}</span>
              <span class="share" title="share of the blame">
                <span style={{ width: pct(c.contribution) }} />
              </span>
              {pct(c.contribution)}
            </div>
            <div class="evidence">{c.evidence}</div>
          </li>
        ))}
      </ol>
      <h2 class="with-toggle">
        Trace
        {x.spans?.length ? (
          <button
            type="button"
            aria-pressed={compare}
            onClick={() => replaceParams(['anomalies', id], { compare: compare ? undefined : '1' })}
          >
            Compare with normal
          </button>
        ) : null}
      </h2>
      {!x.spans?.length ? (
        <p class="muted">The spans of this trace were not kept.</p>
      ) : compare ? (
        <CompareView a={x} />
      ) : (
        <Waterfall spans={x.spans} causes={x.rootCauses} />
      )}
      {x.features && x.features.length > 0 && (
        <>
          <h2>Against normal</h2>
          <table>
            <thead>
              <tr>
                <th>Feature</th>
                <th class="num">Value</th>
                <th class="num">Normal p50–p99</th>
              </tr>
            </thead>
            <tbody>
              {x.features.map((f) => (
                <tr key={f.name}>
                  <td>{f.name}</td>
                  <td class="num">
                    {f.value.toFixed(2)} {f.unit}
                  </td>
                  <td class="num">
                    {f.normalP50?.toFixed(2) ?? '?'}–{f.normalP99?.toFixed(2) ?? '?'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <Feedback a={x} admin={admin} onSaved={a.reload} />
    </section>
  );
}

function Feedback({ a, admin, onSaved }: { a: Anomaly; admin: boolean; onSaved: () => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const send = async (verdict: 'true-positive' | 'false-positive') => {
    try {
      await api(`/v1/anomalies/${encodeURIComponent(a.id)}/feedback`, {
        method: 'POST',
        body: note ? { verdict, note } : { verdict },
      });
      setError(undefined);
      onSaved();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div class="feedback">
      <h2>Feedback</h2>
      {a.feedback && (
        <p data-testid="verdict">
          Marked <b>{a.feedback.verdict}</b> at {time(a.feedback.at)}
          {a.feedback.note && <>: “{a.feedback.note}”</>}
        </p>
      )}
      {admin ? (
        <div class="actions">
          <input
            placeholder="note (optional)"
            value={note}
            maxLength={2000}
            onInput={(e) => setNote(e.currentTarget.value)}
          />
          <button type="button" onClick={() => send('true-positive')}>
            Real problem
          </button>
          <button type="button" onClick={() => send('false-positive')}>
            False alarm
          </button>
        </div>
      ) : (
        !a.feedback && <p class="muted">An admin key can record whether this was a real problem.</p>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}
