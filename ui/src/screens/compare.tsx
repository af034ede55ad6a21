import { api, type Anomaly, type Comparison } from '../api.js';
import { ms, pct, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { Waterfall, extent } from '../trace-waterfall.js';

type Row = Comparison['rows'][number];

/**
 * Compare with normal: the anomaly and a typical normal trace of its endpoint as two waterfalls on one time
 * axis (the same scale, each from its own start, so a longer bar is a longer call), then what differs.
 */
export function CompareView({ a }: { a: Anomaly }) {
  const c = useLoad(() => api<Comparison>(`/v1/anomalies/${encodeURIComponent(a.id)}/compare`), [a.id]);
  if (c.error) return <p class="error">Cannot compare: {c.error}</p>;
  if (!c.data) return <p class="muted">Finding a normal trace…</p>;
  const { normal, choice, rows } = c.data;
  const spans = a.spans ?? [];
  const scaleUs = Math.max(extent(spans), extent(normal.spans));
  // Spans are marked where their call path has a row: the anomaly's with what it does differently, the
  // normal trace's with the calls the anomaly did not make.
  const mine = new Map(rows.filter((r) => r.kind !== 'missing').map((r) => [r.path, r.kind]));
  const theirs = new Map(rows.filter((r) => r.kind === 'missing').map((r) => [r.path, r.kind]));
  const link = a.link?.replace(a.traceId, normal.traceId);
  return (
    <div data-testid="compare">
      <p class="muted">
        The normal trace is the most typical of {choice.candidates} normal traces of this endpoint kept for
        training: the commonest structure ({choice.sameShape} of them), and of those the duration nearest the
        median ({ms(choice.medianMs)}).
      </p>
      <h2>What differs</h2>
      <DiffTable rows={rows} />
      <h2>
        This trace <span class="muted">· {ms(a.durationMs)}</span>
      </h2>
      <Waterfall spans={spans} causes={a.rootCauses} scaleUs={scaleUs} marks={mine} />
      <h2>
        Normal trace <span class="muted">· {ms(normal.durationMs)}</span>{' '}
        <span class="muted mono">
          {normal.traceId} at {time(normal.startTime)}
        </span>{' '}
        {link && link !== a.link && (
          <a href={link} target="_blank" rel="noreferrer">
            Open ↗
          </a>
        )}
      </h2>
      <Waterfall spans={normal.spans} scaleUs={scaleUs} marks={theirs} testid="waterfall-normal" />
    </div>
  );
}

const SELF = 'self time: in the call itself, not in what it called';

/** The rows as the API orders them: failures, then slower by the time added, missing, new, faster. */
function DiffTable({ rows }: { rows: Row[] }) {
  if (rows.length === 0)
    return <p class="muted">Nothing beyond jitter: the same calls, taking about the same time.</p>;
  return (
    <table class="diff" data-testid="diff">
      <thead>
        <tr>
          <th>Kind</th>
          <th>Call</th>
          <th class="num" title={SELF}>
            This
          </th>
          <th class="num" title={SELF}>
            Normal
          </th>
          <th class="num">Difference</th>
          <th class="num" title="p50–p99 of one call's self time in the model's training traffic">
            Normal range (one call)
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.kind} ${r.path}`} data-testid="diff-row" data-kind={r.kind} class={`diff-${r.kind}`}>
            <td>
              <span class={`badge diff ${r.kind}`}>{r.kind}</span>
            </td>
            <td title={r.path}>
              <b>{r.service}</b> {r.operation}
              {r.below ? <span class="muted"> and {r.below} call(s) below it</span> : null}
              {r.normalShare !== undefined && <div class="muted small">{presence(r.normalShare)}</div>}
            </td>
            <td class={`num${beyond(r) ? ' slow' : ''}`}>{side(r, 'this')}</td>
            <td class="num">{side(r, 'normal')}</td>
            <td class="num">{difference(r)}</td>
            <td class="num">
              {r.normalP50 !== undefined && r.normalP99 !== undefined ? (
                `${ms(r.normalP50)}–${ms(r.normalP99)}`
              ) : (
                <span class="muted">?</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One trace's side of a row: self time, or for a call only one trace made, what the whole call took. */
function side(r: Row, which: 'this' | 'normal') {
  const calls = which === 'this' ? r.thisCalls : r.normalCalls;
  if (calls === 0) return <span class="muted">not called</span>;
  const whole = r.kind === 'missing' || r.kind === 'new';
  const v = whole ? (which === 'this' ? r.thisDuration : r.normalDuration) : r[which];
  const errors = which === 'this' ? r.thisErrors : r.normalErrors;
  return (
    <>
      {ms(v)}
      {whole && <span class="muted"> in all</span>}
      {calls > 1 && <span class="muted"> ×{calls}</span>}
      {errors > 0 && <span class="error"> {errors} failed</span>}
    </>
  );
}

function difference(r: Row): string {
  switch (r.kind) {
    case 'error':
      return `${r.thisErrors - r.normalErrors} more failed`;
    case 'missing':
      return `−${ms(r.normalDuration)}`;
    case 'new':
      return `+${ms(r.thisDuration)}`;
    default: {
      const d = r.this - r.normal;
      return `${d >= 0 ? '+' : '−'}${ms(Math.abs(d))}`;
    }
  }
}

/** How often normal traffic makes a missing or new call: always (a real change) or sometimes (optional). */
function presence(share: number): string {
  if (share === 0) return 'never made in normal traffic';
  if (share === 1) return 'made by every normal trace';
  return `made by ${share < 0.01 ? 'under 1%' : share > 0.99 ? 'over 99%' : pct(share)} of normal traces`;
}

/** A call of this trace took longer, on average, than one call's normal p99: shown in red. */
function beyond(r: Row): boolean {
  return r.normalP99 !== undefined && r.thisCalls > 0 && r.this / r.thisCalls > r.normalP99;
}
