import { useEffect, useRef } from 'preact/hooks';
import type { AnomalyRate } from '../../src/traffic/anomaly-rate.js';
import { api, query } from './api.js';
import { useLoad } from './hooks.js';

const CHARTS = 4;
const POLL_MS = 30_000;
/** The widest window /v1/anomaly-rate answers (7 days); a wider one is refused with a 400. */
const MAX_WINDOW_MS = 7 * 24 * 3_600_000;

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Above the anomaly list: the share of traces flagged, minute by minute, for the endpoints with the most
 * anomalies in the window (or the one endpoint filtered on). A click on one filters the list to it.
 */
export function AnomalyRates(p: {
  endpoint?: string;
  /** Epoch ms; the server's default window (the last hour) when absent. */
  from?: number;
  to?: number;
  pick: (endpoint: string) => void;
}) {
  // A list filtered to last month is fine; its rates are not there to draw, so they are not asked for.
  const tooWide = p.from !== undefined && (p.to ?? Date.now()) - p.from > MAX_WINDOW_MS;
  const rate = useLoad(
    () =>
      tooWide
        ? Promise.resolve(undefined)
        : api<AnomalyRate>(
            `/v1/anomaly-rate${query({ endpoint: p.endpoint, from: p.from, to: p.to, limit: CHARTS })}`,
          ),
    [p.endpoint, p.from, p.to, tooWide],
    POLL_MS,
  );
  if (tooWide)
    return <p class="muted">Rate charts cover at most 7 days: narrow the time range to see them.</p>;
  const r = rate.data;
  if (!r || r.series.length === 0) return null;
  return (
    <div class="rates" data-testid="anomaly-rates">
      {r.series.map((s) => (
        <RateChart key={s.endpoint} times={r.times} line={s} pick={p.pick} />
      ))}
    </div>
  );
}

function RateChart({
  times,
  line,
  pick,
}: {
  times: string[];
  line: AnomalyRate['series'][number];
  pick: (endpoint: string) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let destroy: (() => void) | undefined;
    let gone = false;
    void import('./uplot-chart.js').then(({ drawRate }) => {
      if (gone || !el.current) return;
      const xs = times.map((t) => Date.parse(t) / 1000);
      const ys = line.traces.map((n, i) => (n > 0 ? (100 * line.anomalous[i]) / n : null));
      destroy = drawRate(el.current, xs, ys, 240);
    });
    return () => {
      gone = true;
      destroy?.();
    };
  }, [times, line]);
  const traces = sum(line.traces);
  const flagged = sum(line.anomalous);
  return (
    <button
      type="button"
      class="rate"
      data-testid="anomaly-rate"
      data-endpoint={line.endpoint}
      title={`${line.endpoint}: show only its anomalies`}
      onClick={() => pick(line.endpoint)}
    >
      <span class="rate-name">{line.endpoint}</span>
      <span class="muted">
        {traces > 0 ? ((100 * flagged) / traces).toFixed(1) : '0'}% of {traces} traces anomalous
      </span>
      <div ref={el} class="rate-chart" />
    </button>
  );
}
