import { useEffect, useRef } from 'preact/hooks';
import type { AnomalyRate } from '../../../src/traffic/anomaly-rate.js';
import { api, query, type Incident, type IncidentDelivery } from '../api.js';
import { useLoad } from '../hooks.js';
import { href } from '../router.js';
import { DeliveryTable } from '../delivery-table.js';

const HOUR_MS = 3_600_000;
/** Endpoints compared: an incident touching more is read from its signals, not from a wall of charts. */
const ENDPOINTS = 4;
const POLL_MS = 15_000;

type Series = AnomalyRate['series'][number];

/** Share of traces flagged in the steps the test keeps, as "12.5% of 40", or a dash without traffic. */
function share(s: Series, keep: (i: number) => boolean): { text: string; rate?: number } {
  let traces = 0;
  let flagged = 0;
  s.traces.forEach((n, i) => {
    if (!keep(i)) return;
    traces += n;
    flagged += s.anomalous[i];
  });
  if (traces === 0) return { text: 'no traffic recorded' };
  const rate = flagged / traces;
  return { text: `${(100 * rate).toFixed(1)}% of ${traces} traces`, rate };
}

/**
 * The incident's window against the hour before it, per affected endpoint: the share of traces flagged in
 * each (from the per-minute aggregates, so it holds while they are retained), and the minute-by-minute line
 * with the window shaded.
 */
export function IncidentWindow({ incident: i }: { incident: Incident }) {
  const start = Date.parse(i.start);
  const end = Date.parse(i.end);
  const endpoints = i.endpoints.slice(0, ENDPOINTS);
  const rates = useLoad(
    () =>
      Promise.all(
        endpoints.map((endpoint) =>
          api<AnomalyRate>(`/v1/anomaly-rate${query({ endpoint, from: start - HOUR_MS, to: end })}`),
        ),
      ),
    [i.id, start, end, endpoints.join('\n')],
  );
  if (rates.error) return <p class="error">Could not load the traffic around it: {rates.error}</p>;
  if (!rates.data) return <p class="muted">Loading…</p>;
  const more = i.endpoints.length - endpoints.length;
  return (
    <>
      <table class="incident-window" data-testid="incident-window">
        <thead>
          <tr>
            <th>Endpoint</th>
            <th class="num">Hour before: anomalous</th>
            <th class="num">Incident window: anomalous</th>
            <th>Per minute (window shaded)</th>
          </tr>
        </thead>
        <tbody>
          {endpoints.map((endpoint, k) => {
            const r = rates.data![k];
            const s = r.series.find((x) => x.endpoint === endpoint);
            const stepStart = r.times.map((t) => Date.parse(t));
            // A step belongs to the window when it ends after the window starts (steps may span several minutes).
            const inWindow = (n: number) => stepStart[n] + r.stepS * 1000 > start;
            const before = s && share(s, (n) => !inWindow(n));
            const during = s && share(s, inWindow);
            return (
              <tr key={endpoint} data-testid="window-row" data-endpoint={endpoint}>
                <td>
                  <a href={href(['anomalies'], { endpoint })}>{endpoint}</a>
                </td>
                <td class="num">{before?.text ?? <span class="muted">no traffic recorded</span>}</td>
                <td class={`num${(during?.rate ?? 0) > (before?.rate ?? 0) ? ' error' : ''}`}>
                  {during?.text ?? <span class="muted">no traffic recorded</span>}
                </td>
                <td>{s && <WindowChart times={stepStart} series={s} start={start} />}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {more > 0 && <p class="muted">and {more} more endpoint(s): see the signals above</p>}
    </>
  );
}

function WindowChart({ times, series, start }: { times: number[]; series: Series; start: number }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let destroy: (() => void) | undefined;
    let gone = false;
    void import('../uplot-chart.js').then(({ drawRate }) => {
      if (gone || !el.current) return;
      const ys = series.traces.map((n, k) => (n > 0 ? (100 * series.anomalous[k]) / n : null));
      destroy = drawRate(
        el.current,
        times.map((t) => t / 1000),
        ys,
        240,
      );
    });
    return () => {
      gone = true;
      destroy?.();
    };
  }, [times, series]);
  const first = times[0];
  const last = times[times.length - 1];
  const left = last > first ? Math.min(1, Math.max(0, (start - first) / (last - first))) : 0;
  return (
    <div class="window-chart">
      <div class="window-shade" style={{ left: `${left * 100}%` }} />
      <div ref={el} />
    </div>
  );
}

/** Who was told: every webhook delivery of the incident's events, with its outcome. */
export function IncidentDeliveries({ id }: { id: string }) {
  const list = useLoad(
    () => api<{ items: IncidentDelivery[] }>(`/v1/incidents/${encodeURIComponent(id)}/deliveries`),
    [id],
    POLL_MS,
  );
  if (list.error && !list.data) return <p class="error">Could not load its deliveries: {list.error}</p>;
  if (!list.data) return <p class="muted">Loading…</p>;
  const items = list.data.items;
  if (items.length === 0)
    return (
      <p class="muted" data-testid="incident-deliveries">
        No webhook delivery of this incident is logged (none configured, all silenced, or older than the logs
        keep).
      </p>
    );
  return <DeliveryTable items={items} testid="incident-deliveries" rowTestid="incident-delivery" />;
}
