import type { BaselineProfile, BaselineTrace } from './input.js';
import { LogSketch } from './log-sketch.js';
import { observePaths } from './observe.js';
import { CountDist, summarize, type LatencySummary, type SpreadRule } from './summary.js';
import { endpointKey } from '../../trace/endpoint-key.js';

/**
 * What the baseline knows about one call path (in an endpoint model) or one operation (in the pooled
 * model, where `key` is the operation's endpoint key and paths of every endpoint fold into it).
 */
export class PathStats {
  /** Traces that had this path at least once. */
  traces = 0;
  spans = 0;
  errorSpans = 0;
  /** Error spans without an error child: errors that started here. */
  errorOrigins = 0;
  readonly self = new LogSketch();
  readonly dur = new LogSketch();
  /** Spans of this path per trace, over traces that have it. */
  readonly counts = new CountDist();
  selfSummary: LatencySummary | undefined;
  durSummary: LatencySummary | undefined;

  constructor(
    readonly key: string,
    /** The parent path's key; null for a top-level path and in the pooled model. */
    readonly parentKey: string | null,
    readonly service: string,
    readonly operation: string,
  ) {}

  freeze(rule: SpreadRule): void {
    this.selfSummary = summarize(this.self, rule);
    this.durSummary = summarize(this.dur, rule);
  }
}

/** Client-to-server gap of one hop: client span duration minus server span duration, per trace the largest. */
export class GapStats {
  readonly sketch = new LogSketch();
  traces = 0;
  summary: LatencySummary | undefined;

  constructor(
    readonly key: string,
    readonly clientService: string,
    readonly serverService: string,
  ) {}
}

/**
 * One population of traces: an endpoint's, or all traffic pooled (the fallback for endpoints too rare to
 * have their own model).
 */
export class Population {
  traces = 0;
  orphanTraces = 0;
  rootMissingTraces = 0;
  readonly paths = new Map<string, PathStats>();
  readonly gaps = new Map<string, GapStats>();
  /** Pooled model only: traces containing each `parent svc:op>child svc:op` edge. */
  readonly edges = new Map<string, number>();
  /** Endpoint model only: paths, after freeze, in key order (for the missing-path check). */
  pathList: PathStats[] = [];

  constructor(
    readonly key: string,
    readonly pooled: boolean,
  ) {}

  private usual: { rare: number; paths: PathStats[] } | undefined;

  freeze(rule: SpreadRule): void {
    for (const p of this.paths.values()) p.freeze(rule);
    for (const g of this.gaps.values()) g.summary = summarize(g.sketch, rule);
    this.pathList = [...this.paths.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.usual = undefined;
  }

  /**
   * Paths (in key order) whose absence is rarer than `rareFrequency`: the only ones a missing-path check
   * can find surprising, so scoring need not walk the rest for every trace.
   */
  usualPaths(rareFrequency: number): PathStats[] {
    if (this.usual === undefined || this.usual.rare !== rareFrequency) {
      const paths = this.pathList.filter(
        (u) => (this.traces - u.traces + 0.5) / (this.traces + 1) < rareFrequency,
      );
      this.usual = { rare: rareFrequency, paths };
    }
    return this.usual.paths;
  }
}

/** Key of a network hop in the pooled model, where call paths of different endpoints must meet. */
export function pooledGapKey(clientService: string, serverService: string, serverOperation: string): string {
  return clientService + '>' + endpointKey(serverService, serverOperation);
}

/** Adds one trace to a population. Per-span latencies; per-trace presence, counts and gaps. */
export function accumulate(pop: Population, trace: BaselineTrace, profile: BaselineProfile): void {
  const { spans } = trace;
  const cps = profile.callPaths;
  const np = cps.length;
  pop.traces++;
  if (profile.orphans > 0) pop.orphanTraces++;
  if (profile.rootMissing) pop.rootMissingTraces++;

  // Resolve each trace path to its stats once; in the pooled model several paths share one op's stats.
  const stats: PathStats[] = new Array(np);
  const seen = new Set<PathStats>();
  for (let p = 0; p < np; p++) {
    const cp = cps[p];
    const key = pop.pooled ? endpointKey(cp.service, cp.operation) : cp.key;
    let st = pop.paths.get(key);
    if (st === undefined) {
      const parentKey = pop.pooled || cp.parent < 0 ? null : cps[cp.parent].key;
      st = new PathStats(key, parentKey, cp.service, cp.operation);
      pop.paths.set(key, st);
    }
    stats[p] = st;
  }
  const perTraceCount = new Map<PathStats, number>();
  for (let p = 0; p < np; p++) {
    const st = stats[p];
    perTraceCount.set(st, (perTraceCount.get(st) ?? 0) + cps[p].count);
    st.errorSpans += cps[p].errors;
    if (!seen.has(st)) {
      seen.add(st);
      st.traces++;
    }
  }
  for (const [st, c] of perTraceCount) st.counts.add(c);

  const obs = pop.pooled ? undefined : observePaths(trace, profile);
  const self = profile.selfTimeUs;
  const pathOf = profile.spanCallPath;
  for (let i = 0; i < spans.length; i++) {
    const st = stats[pathOf[i]];
    st.spans++;
    st.self.add(self[i]);
    st.dur.add(spans[i].duration);
  }
  if (obs !== undefined) {
    for (let p = 0; p < np; p++) stats[p].errorOrigins += obs.errorOrigins[p];
  } else {
    // An error span with no error child (a span's children are the spans naming it as parent).
    const parent = trace.parent;
    const errorChild = new Uint8Array(spans.length);
    for (let i = 0; i < spans.length; i++) if (spans[i].error && parent[i] >= 0) errorChild[parent[i]] = 1;
    for (let i = 0; i < spans.length; i++)
      if (spans[i].error && !errorChild[i]) stats[pathOf[i]].errorOrigins++;
  }

  if (pop.pooled) {
    const edgesSeen = new Set<string>();
    for (let p = 0; p < np; p++) {
      const cp = cps[p];
      if (cp.parent < 0) continue;
      const e = stats[cp.parent].key + '>' + stats[p].key;
      if (edgesSeen.has(e)) continue;
      edgesSeen.add(e);
      pop.edges.set(e, (pop.edges.get(e) ?? 0) + 1);
    }
  }

  for (const hop of profile.networkHops) {
    const cp = cps[hop.path];
    const key = pop.pooled ? pooledGapKey(hop.clientService, hop.serverService, cp.operation) : hop.key;
    let g = pop.gaps.get(key);
    if (g === undefined) pop.gaps.set(key, (g = new GapStats(key, hop.clientService, hop.serverService)));
    g.traces++;
    g.sketch.add(hop.maxGapUs);
  }
}
