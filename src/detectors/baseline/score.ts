import type { TraceProfile } from '../../features/profile.js';
import type { Trace } from '../../trace/trace.js';
import { toT } from './log-sketch.js';
import { observePaths } from './observe.js';
import type { BaselineOptions } from './options.js';
import { pooledGapKey, type PathStats, type Population } from './population.js';
import type { LatencySummary } from './summary.js';
import { endpointKey } from '../../trace/endpoint-key.js';

export type EvidenceKind =
  | 'self-time'
  | 'duration'
  | 'error'
  | 'unseen-path'
  | 'missing-path'
  | 'call-count'
  | 'network-gap'
  | 'orphans'
  | 'root-missing';

/** One surprising fact about a trace, with what normal looked like. Times in µs. */
export interface Evidence {
  kind: EvidenceKind;
  /** How surprising, >= 0: z above the offset for latencies, weighted excess -ln(p) for frequencies. */
  surprise: number;
  /** Index into profile.callPaths; for a missing path, its parent's index (-1 when top-level). */
  path: number;
  /** The call path's key (for a missing path, the path that is missing). */
  pathKey: string;
  service: string;
  operation: string;
  /** The span the evidence is about (slowest, first error origin), -1 when none (missing path). */
  span: number;
  /** Observed value: µs for latencies and gaps, spans for call counts, error origins for errors. */
  observed: number;
  /** Normal median and p99 (µs for latencies and gaps, calls for counts). */
  normalP50?: number;
  normalP99?: number;
  /** Robust z (latencies and gaps). */
  z?: number;
  /** How often this happens normally: share of traces (paths), of spans (errors). */
  frequency?: number;
  /** How many normal traces (spans, for errors) that share was measured on: a sentence says how many. */
  sample?: number;
  clientService?: string;
  serverService?: string;
  /** Which model judged it: the endpoint's own, or all traffic pooled. */
  source: 'endpoint' | 'pooled';
}

export interface BaselineScore {
  /** Sum of the topK largest surprises (latencies on the tail spread); 0 when nothing is unusual. */
  score: number;
  endpoint: string;
  model: 'endpoint' | 'pooled';
  /** Most surprising first. */
  evidence: Evidence[];
}

/** Robust z of a latency against its normal (median and jitter spread on the log scale). */
export function latencyZ(us: number, s: LatencySummary): number {
  return (toT(us) - s.med) / s.scale;
}

/** Surprise of a latency against the spread that covers the normal tail: what it adds to the score. */
function tailSurprise(us: number, s: LatencySummary, o: BaselineOptions): number {
  return Math.max(0, (toT(us) - s.med) / s.tailScale - o.zOffset);
}

/** Scores one trace. `endpoint` is undefined when the endpoint is too rare and `pooled` must do. */
export function scoreTrace(
  trace: Trace,
  profile: TraceProfile,
  endpoint: Population | undefined,
  pooled: Population,
  o: BaselineOptions,
): BaselineScore {
  const ev: Evidence[] = [];
  // What each item adds to the trace's score, aligned with ev: latencies count on the tail spread (see summarize).
  const parts: number[] = [];
  const add = (e: Evidence, part = e.surprise) => {
    ev.push(e);
    parts.push(part);
  };
  const cps = profile.callPaths;
  const np = cps.length;
  const obs = observePaths(trace, profile);
  const src: Evidence['source'] = endpoint ? 'endpoint' : 'pooled';
  const rareLog = -Math.log(o.rareFrequency);
  const freqSurprise = (p: number) => {
    const s = -Math.log(p) - rareLog;
    return s > 0 ? s * o.frequencyWeight : 0;
  };

  // Created once per trace, not per path: scoring is the hot path.
  const addLatency = (
    base: Pick<Evidence, 'path' | 'pathKey' | 'service' | 'operation'>,
    source: Evidence['source'],
    kind: 'self-time' | 'duration',
    us: number,
    span: number,
    sum: LatencySummary,
  ) => {
    const z = latencyZ(us, sum);
    if (z <= o.zOffset) return;
    const e: Evidence = {
      ...base,
      kind,
      surprise: z - o.zOffset,
      span,
      observed: us,
      normalP50: sum.p50Us,
      normalP99: sum.p99Us,
      z,
      source,
    };
    add(e, tailSurprise(us, sum, o));
  };

  // Pooled stats are looked up only where the endpoint's own do not serve (most paths never need them).
  const pooledStats: (PathStats | null | undefined)[] = new Array(np);
  const pooledOf = (p: number): PathStats | undefined => {
    let st = pooledStats[p];
    if (st === undefined)
      pooledStats[p] = st = pooled.paths.get(endpointKey(cps[p].service, cps[p].operation)) ?? null;
    return st ?? undefined;
  };

  for (let p = 0; p < np; p++) {
    const cp = cps[p];
    const own = endpoint?.paths.get(cp.key);
    const base = { path: p, pathKey: cp.key, service: cp.service, operation: cp.operation };

    if (endpoint !== undefined && own === undefined) {
      // Only the topmost unseen path: everything below an unseen call is unseen too, and says nothing new.
      if (cp.parent < 0 || endpoint.paths.has(cps[cp.parent].key)) {
        const s = freqSurprise(0.5 / (endpoint.traces + 1));
        if (s > 0)
          add({
            ...base,
            kind: 'unseen-path',
            surprise: s,
            span: obs.maxDurSpan[p],
            observed: cp.count,
            frequency: 0,
            sample: endpoint.traces,
            source: src,
          });
      }
    }
    if (endpoint === undefined) {
      // Pooled structure: is this operation known at all, and does its caller normally call it?
      const pl = pooledOf(p);
      const parentSt = cp.parent >= 0 ? pooledOf(cp.parent) : undefined;
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
      const s = freqSurprise(prob);
      if (s > 0)
        add({
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

    const own0 = own !== undefined && own.spans >= o.minPathSamples ? own : undefined;
    const pl = own0 === undefined ? pooledOf(p) : undefined;
    const lat = own0 ?? (pl !== undefined && pl.spans >= o.minPathSamples ? pl : undefined);
    const latSrc: Evidence['source'] = own0 ? 'endpoint' : 'pooled';
    if (lat !== undefined) {
      addLatency(base, latSrc, 'self-time', obs.maxSelf[p], obs.maxSelfSpan[p], lat.selfSummary!);
      addLatency(base, latSrc, 'duration', obs.maxDur[p], obs.maxDurSpan[p], lat.durSummary!);
      if (obs.errorOrigins[p] > 0) {
        const rate = (lat.errorOrigins + 0.5) / (lat.spans + 1);
        const s = freqSurprise(rate);
        if (s > 0)
          add({
            ...base,
            kind: 'error',
            surprise: s,
            span: obs.firstOriginSpan[p],
            observed: obs.errorOrigins[p],
            frequency: lat.errorOrigins / lat.spans,
            sample: lat.spans,
            source: latSrc,
          });
      }
    } else if (obs.errorOrigins[p] > 0) {
      // An error on an operation nobody has seen enough of: as surprising as an unseen event.
      const s = freqSurprise(0.5 / (pooled.traces + 1));
      if (s > 0)
        add({
          ...base,
          kind: 'error',
          surprise: s,
          span: obs.firstOriginSpan[p],
          observed: obs.errorOrigins[p],
          frequency: 0,
          source: 'pooled',
        });
    }

    if (own !== undefined && own.traces >= o.minPathSamples) {
      const c = cp.count;
      const { le, ge } = own.counts.tails(c);
      const max = own.counts.max();
      const min = own.counts.quantile(0);
      let s = 0;
      if (c > own.counts.quantile(0.5))
        s =
          freqSurprise((ge + 0.5) / (own.traces + 1)) + (c > max ? o.frequencyWeight * Math.log(c / max) : 0);
      else if (c < own.counts.quantile(0.5))
        s =
          freqSurprise((le + 0.5) / (own.traces + 1)) + (c < min ? o.frequencyWeight * Math.log(min / c) : 0);
      if (s > 0)
        add({
          ...base,
          kind: 'call-count',
          surprise: s,
          span: obs.maxDurSpan[p],
          observed: c,
          normalP50: own.counts.quantile(0.5),
          normalP99: own.counts.quantile(0.99),
          frequency: own.traces / endpoint!.traces,
          source: 'endpoint',
        });
    }
  }

  if (endpoint !== undefined) {
    let keys: Map<string, number> | undefined;
    for (const u of endpoint.usualPaths(o.rareFrequency)) {
      const pMissing = (endpoint.traces - u.traces + 0.5) / (endpoint.traces + 1);
      const s = freqSurprise(pMissing);
      if (s <= 0) continue;
      if (keys === undefined) {
        keys = new Map();
        for (let p = 0; p < np; p++) keys.set(cps[p].key, p);
      }
      if (keys.has(u.key)) continue;
      const parent = u.parentKey === null ? -1 : (keys.get(u.parentKey) ?? -2);
      if (parent === -2) continue; // the parent is missing too: only the topmost missing call is news
      add({
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

  for (const hop of profile.networkHops) {
    const cp = cps[hop.path];
    let g = endpoint?.gaps.get(hop.key);
    let gSrc: Evidence['source'] = 'endpoint';
    if (g === undefined || g.traces < o.minPathSamples) {
      g = pooled.gaps.get(pooledGapKey(hop.clientService, hop.serverService, cp.operation));
      gSrc = 'pooled';
    }
    if (g === undefined || g.traces < o.minPathSamples) continue;
    const z = latencyZ(hop.maxGapUs, g.summary!);
    if (z > o.zOffset) {
      add(
        {
          kind: 'network-gap',
          surprise: z - o.zOffset,
          path: hop.path,
          pathKey: cp.key,
          service: cp.service,
          operation: cp.operation,
          span: obs.maxDurSpan[hop.path],
          observed: hop.maxGapUs,
          normalP50: g.summary!.p50Us,
          normalP99: g.summary!.p99Us,
          z,
          clientService: hop.clientService,
          serverService: hop.serverService,
          source: gSrc,
        },
        tailSurprise(hop.maxGapUs, g.summary!, o),
      );
    }
  }

  const pop = endpoint ?? pooled;
  const root = profile.rootSpan;
  const rootBase = {
    path: root >= 0 ? profile.spanCallPath[root] : -1,
    pathKey: root >= 0 ? cps[profile.spanCallPath[root]].key : '',
    service: profile.endpoint.service,
    operation: profile.endpoint.operation,
    span: root,
  };
  if (profile.orphans > 0) {
    const s = freqSurprise((pop.orphanTraces + 0.5) / (pop.traces + 1));
    if (s > 0)
      add({
        ...rootBase,
        kind: 'orphans',
        surprise: s,
        observed: profile.orphans,
        frequency: pop.orphanTraces / Math.max(pop.traces, 1),
        sample: pop.traces,
        source: src,
      });
  }
  if (profile.rootMissing) {
    const s = freqSurprise((pop.rootMissingTraces + 0.5) / (pop.traces + 1));
    if (s > 0)
      add({
        ...rootBase,
        kind: 'root-missing',
        surprise: s,
        observed: 1,
        frequency: pop.rootMissingTraces / Math.max(pop.traces, 1),
        sample: pop.traces,
        source: src,
      });
  }

  ev.sort(
    (a, b) => b.surprise - a.surprise || a.path - b.path || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0),
  );
  parts.sort((a, b) => b - a);
  let score = 0;
  for (let k = 0; k < parts.length && k < o.topK; k++) score += parts[k];
  if (ev.length > o.maxEvidence) ev.length = o.maxEvidence;
  return { score, endpoint: profile.endpoint.key, model: src, evidence: ev };
}
