import type { Anomaly } from './api.js';
import { ms, pct, serviceColor } from './format.js';
import { absentCauses, ticks, waterfallRows } from './waterfall.js';

type Span = NonNullable<Anomaly['spans']>[number];

export interface WaterfallProps {
  spans: Span[];
  causes?: Anomaly['rootCauses'];
  /** The time the axis spans, µs: two waterfalls given the same one share a time axis. Default: this trace's. */
  scaleUs?: number;
  /** Per call path, a mark (a diff kind) shown on its spans. */
  marks?: ReadonlyMap<string, string>;
  testid?: string;
}

/** Extent of a trace's spans, µs. */
export function extent(spans: Span[]): number {
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(...spans.map((s) => s.start + s.duration));
  return Math.max(1, t1 - t0);
}

/**
 * A trace as a waterfall: spans nested by caller on a time axis from the trace's start, root-cause spans
 * highlighted, errors outlined, the critical path underlined, and each span's normal range behind its bar.
 */
export function Waterfall({ spans, causes = [], scaleUs, marks, testid = 'waterfall' }: WaterfallProps) {
  const rows = waterfallRows(spans, causes);
  const t0 = Math.min(...spans.map((s) => s.start));
  const total = Math.max(scaleUs ?? 0, extent(spans));
  const left = (us: number) => `${((us - t0) / total) * 100}%`;
  return (
    <div class="waterfall" data-testid={testid}>
      <p class="legend muted">
        Spans nested by caller. <span class="swatch cause" /> root cause <span class="swatch err" /> error{' '}
        <span class="swatch crit" /> critical path <span class="swatch band" /> normal p50–p99 of the call
      </p>
      <div class="wf-row wf-axis">
        <div class="wf-label" />
        <div class="wf-track">
          {ticks(total).map((t) => (
            <span key={t} class="tick" style={{ left: `${(t / total) * 100}%` }}>
              {ms(t / 1000)}
            </span>
          ))}
        </div>
      </div>
      {rows.map(({ span: s, depth, path, causes }) => {
        const mark = marks?.get(path);
        // The band ends at the axis' end: past it, it would widen the page (its text still says the range).
        const band = s.normal && {
          from: Math.min(s.start + s.normal.p50, t0 + total),
          to: Math.min(s.start + Math.max(s.normal.p50, s.normal.p99), t0 + total),
        };
        return (
          <div
            key={s.spanId}
            class={`wf-row${causes.length ? ' root-cause' : ''}${s.error ? ' error' : ''}${mark ? ` diff-${mark}` : ''}`}
            data-testid="span"
            data-service={s.service}
            data-root-cause={causes.length ? 'true' : undefined}
            data-diff={mark}
          >
            <div class="wf-label" style={{ paddingLeft: `${depth * 14 + 4}px` }} title={s.instance}>
              <span class="dot" style={{ background: serviceColor(s.service) }} />
              <b>{s.service}</b> {s.operation}
              {s.error && (
                <span class="badge err" title="the span reported an error">
                  error
                </span>
              )}
              {mark && <span class={`badge diff ${mark}`}>{mark}</span>}
              {causes.map((c) => (
                <span key={c.rank} class="badge cause" title={c.cause.evidence}>
                  cause #{c.rank} · {pct(c.cause.contribution)}
                </span>
              ))}
            </div>
            <div class="wf-track">
              {band && (
                <div
                  class="normal-band"
                  title={`normal for this call: ${ms(s.normal!.p50 / 1000)} (p50) to ${ms(s.normal!.p99 / 1000)} (p99)`}
                  style={{ left: left(band.from), width: `${((band.to - band.from) / total) * 100}%` }}
                />
              )}
              <div
                class={`bar${s.critical ? ' critical' : ''}`}
                title={s.critical ? 'on the critical path' : undefined}
                style={{
                  left: left(s.start),
                  width: `max(2px, ${(s.duration / total) * 100}%)`,
                  background: serviceColor(s.service),
                }}
              />
              <span
                class={`dur${s.normal && s.duration > s.normal.p99 ? ' slow' : ''}`}
                style={{ left: left(s.start + s.duration) }}
              >
                {ms(s.duration / 1000)}
                {s.normal && (
                  <span class="muted">
                    {' '}
                    (normal {ms(s.normal.p50 / 1000)}–{ms(s.normal.p99 / 1000)})
                  </span>
                )}
              </span>
            </div>
          </div>
        );
      })}
      {absentCauses(spans, causes).map(({ rank, cause: c }) => (
        <div
          key={`absent ${rank}`}
          class="wf-row root-cause absent"
          data-testid="absent-span"
          data-service={c.service}
        >
          <div class="wf-label" style={{ paddingLeft: '4px' }} title={c.evidence}>
            <span class="dot" style={{ background: serviceColor(c.service) }} />
            <b>{c.service}</b> {c.operation}
            <span class="badge diff missing">not in this trace</span>
            <span class="badge cause">
              cause #{rank} · {pct(c.contribution)}
            </span>
          </div>
          <div class="wf-track">
            <span class="dur">{c.evidence}</span>
          </div>
        </div>
      ))}
    </div>
  );
}
