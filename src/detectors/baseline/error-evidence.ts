import type { JudgingStats } from './latency-evidence.js';
import { addEvidence, freqSurprise, type PathBase, type ScoreContext } from './score-context.js';

/**
 * Errors that started on path p, against how often its spans fail normally. An error on an operation nobody
 * has seen enough of (no judging stats) is as surprising as an unseen event.
 */
export function errorEvidence(
  ctx: ScoreContext,
  p: number,
  base: PathBase,
  lat: JudgingStats | undefined,
): void {
  const { obs } = ctx;
  if (obs.errorOrigins[p] <= 0) return;
  if (lat !== undefined) {
    const st = lat.stats;
    const rate = (st.errorOrigins + 0.5) / (st.spans + 1);
    const s = freqSurprise(ctx, rate);
    if (s > 0)
      addEvidence(ctx, {
        ...base,
        kind: 'error',
        surprise: s,
        span: obs.firstOriginSpan[p],
        observed: obs.errorOrigins[p],
        frequency: st.errorOrigins / st.spans,
        sample: st.spans,
        source: lat.source,
      });
    return;
  }
  const s = freqSurprise(ctx, 0.5 / (ctx.pooled.traces + 1));
  if (s > 0)
    addEvidence(ctx, {
      ...base,
      kind: 'error',
      surprise: s,
      span: obs.firstOriginSpan[p],
      observed: obs.errorOrigins[p],
      frequency: 0,
      source: 'pooled',
    });
}
