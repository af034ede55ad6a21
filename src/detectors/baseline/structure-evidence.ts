import type { PathStats } from './population.js';
import { addEvidence, freqSurprise, pooledOf, type PathBase, type ScoreContext } from './score-context.js';

/** Path p when its endpoint never made it, or (pooled) when its operation or its caller's call is unknown. */
export function unseenPathEvidence(
  ctx: ScoreContext,
  p: number,
  base: PathBase,
  own: PathStats | undefined,
): void {
  const { endpoint, obs } = ctx;
  const cps = ctx.profile.callPaths;
  const cp = cps[p];
  if (endpoint !== undefined) {
    if (own !== undefined) return;
    // Only the topmost unseen path: everything below an unseen call is unseen too, and says nothing new.
    if (cp.parent >= 0 && !endpoint.paths.has(cps[cp.parent].key)) return;
    const s = freqSurprise(ctx, 0.5 / (endpoint.traces + 1));
    if (s > 0)
      addEvidence(ctx, {
        ...base,
        kind: 'unseen-path',
        surprise: s,
        span: obs.maxDurSpan[p],
        observed: cp.count,
        frequency: 0,
        sample: endpoint.traces,
        source: ctx.source,
      });
    return;
  }
  // Pooled structure: is this operation known at all, and does its caller normally call it?
  const pooled = ctx.pooled;
  const pl = pooledOf(ctx, p);
  const parentSt = cp.parent >= 0 ? pooledOf(ctx, cp.parent) : undefined;
  let prob = 1;
  let freq = 1;
  let sample = pooled.traces;
  if (pl === undefined) {
    if (cp.parent < 0 || parentSt !== undefined) prob = 0.5 / (pooled.traces + 1);
    freq = 0;
  } else if (parentSt !== undefined) {
    const e = parentSt.key + '>' + pl.key;
    const seen = pooled.edges.get(e) ?? 0;
    prob = (seen + 0.5) / (parentSt.traces + 1);
    freq = seen / Math.max(parentSt.traces, 1);
    sample = parentSt.traces;
  }
  const s = freqSurprise(ctx, prob);
  if (s > 0)
    addEvidence(ctx, {
      ...base,
      kind: 'unseen-path',
      surprise: s,
      span: obs.maxDurSpan[p],
      observed: cp.count,
      frequency: freq,
      sample,
      source: 'pooled',
    });
}

/** How often path p was called, against how often its endpoint calls it (when it saw the path often enough). */
export function callCountEvidence(
  ctx: ScoreContext,
  p: number,
  base: PathBase,
  own: PathStats | undefined,
): void {
  const o = ctx.o;
  if (own === undefined || own.traces < o.minPathSamples) return;
  const c = ctx.profile.callPaths[p].count;
  const { le, ge } = own.counts.tails(c);
  const max = own.counts.max();
  const min = own.counts.quantile(0);
  let s = 0;
  if (c > own.counts.quantile(0.5))
    s =
      freqSurprise(ctx, (ge + 0.5) / (own.traces + 1)) +
      (c > max ? o.frequencyWeight * Math.log(c / max) : 0);
  else if (c < own.counts.quantile(0.5))
    s =
      freqSurprise(ctx, (le + 0.5) / (own.traces + 1)) +
      (c < min ? o.frequencyWeight * Math.log(min / c) : 0);
  if (s > 0)
    addEvidence(ctx, {
      ...base,
      kind: 'call-count',
      surprise: s,
      span: ctx.obs.maxDurSpan[p],
      observed: c,
      normalP50: own.counts.quantile(0.5),
      normalP99: own.counts.quantile(0.99),
      frequency: own.traces / ctx.endpoint!.traces,
      source: 'endpoint',
    });
}

/** Usual calls of the endpoint the trace did not make: only the topmost of a missing subtree. */
export function missingPathEvidence(ctx: ScoreContext): void {
  const { endpoint, obs } = ctx;
  if (endpoint === undefined) return;
  const cps = ctx.profile.callPaths;
  let keys: Map<string, number> | undefined;
  for (const u of endpoint.usualPaths(ctx.o.rareFrequency)) {
    const pMissing = (endpoint.traces - u.traces + 0.5) / (endpoint.traces + 1);
    const s = freqSurprise(ctx, pMissing);
    if (s <= 0) continue;
    if (keys === undefined) {
      keys = new Map();
      for (let p = 0; p < cps.length; p++) keys.set(cps[p].key, p);
    }
    if (keys.has(u.key)) continue;
    const parent = u.parentKey === null ? -1 : (keys.get(u.parentKey) ?? -2);
    if (parent === -2) continue; // the parent is missing too: only the topmost missing call is news
    addEvidence(ctx, {
      kind: 'missing-path',
      surprise: s,
      path: parent,
      pathKey: u.key,
      service: u.service,
      operation: u.operation,
      span: parent >= 0 ? obs.maxDurSpan[parent] : -1,
      observed: 0,
      frequency: u.traces / endpoint.traces,
      sample: endpoint.traces,
      normalP50: u.selfSummary?.p50Us,
      normalP99: u.selfSummary?.p99Us,
      source: 'endpoint',
    });
  }
}

/** Spans whose parent is not in the trace, and a trace without a root, against how often either happens. */
export function lostSpanEvidence(ctx: ScoreContext): void {
  const { profile } = ctx;
  const cps = profile.callPaths;
  const pop = ctx.endpoint ?? ctx.pooled;
  const root = profile.rootSpan;
  const rootBase = {
    path: root >= 0 ? profile.spanCallPath[root] : -1,
    pathKey: root >= 0 ? cps[profile.spanCallPath[root]].key : '',
    service: profile.endpoint.service,
    operation: profile.endpoint.operation,
    span: root,
  };
  if (profile.orphans > 0) {
    const s = freqSurprise(ctx, (pop.orphanTraces + 0.5) / (pop.traces + 1));
    if (s > 0)
      addEvidence(ctx, {
        ...rootBase,
        kind: 'orphans',
        surprise: s,
        observed: profile.orphans,
        frequency: pop.orphanTraces / Math.max(pop.traces, 1),
        sample: pop.traces,
        source: ctx.source,
      });
  }
  if (profile.rootMissing) {
    const s = freqSurprise(ctx, (pop.rootMissingTraces + 0.5) / (pop.traces + 1));
    if (s > 0)
      addEvidence(ctx, {
        ...rootBase,
        kind: 'root-missing',
        surprise: s,
        observed: 1,
        frequency: pop.rootMissingTraces / Math.max(pop.traces, 1),
        sample: pop.traces,
        source: ctx.source,
      });
  }
}
