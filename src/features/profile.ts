import { endpointKey, type EndpointKey } from '../trace/endpoint-key.js';
import { endpointOf, type Trace } from '../trace/trace.js';
import { buildCallPaths, type CallPathTable } from './call-paths.js';
import { FEATURE_SCHEMA_VERSION } from './schema-version.js';
import { criticalPath, type CriticalPath } from './critical-path.js';
import { fanOut, type FanOut, type ServiceEdge } from './fan-out.js';
import { internOperations, type Interned } from './intern.js';
import { networkHops } from './network.js';
import { cmp } from './code-unit-order.js';
import { serviceStats, type ServiceStats } from './services.js';
import { coveredByChildren, selfTimes } from './self-time.js';
import { structureSignature } from './signature.js';

/** A trace's endpoint: its root span's service and operation. */
export interface Endpoint {
  service: string;
  operation: string;
  /** The key models are trained and scored per. */
  key: EndpointKey;
}

/** Everything the spans of one call path did in one trace. Times in µs. */
export interface CallPathStats {
  /** Readable, stable across traces (see CallPathTable.key for the abbreviated deep form). */
  key: string;
  /** Index of the parent path in `TraceProfile.callPaths`, -1 for a top-level path; always < own index. */
  parent: number;
  /** Hops below the top (0 for the root's own path). */
  depth: number;
  service: string;
  operation: string;
  count: number;
  totalDurationUs: number;
  maxDurationUs: number;
  /** Duration not covered by the union of each span's direct children (see self-time.ts). */
  selfTimeUs: number;
  errors: number;
  /** Time these spans spend on the root's critical path. */
  criticalPathUs: number;
  /** Most spans of this path under one parent span: >1 means repeated calls (retries, N+1). */
  maxRepeat: number;
}

/** Client/server gap of one hop, keyed by the server spans' call path. */
export interface NetworkHopStats {
  /** Index into `TraceProfile.callPaths` of the server spans. */
  path: number;
  key: string;
  clientService: string;
  serverService: string;
  count: number;
  totalGapUs: number;
  maxGapUs: number;
}

export interface CriticalPathEntry {
  /** Index into `trace.spans`. */
  span: number;
  timeUs: number;
}

/**
 * The features of one trace. Derived from a normalized Trace only: the same trace always gives the same
 * profile. Per-span arrays are indexed like `trace.spans`. The full catalogue, with units, is in
 * catalogue.ts and docs/features.md.
 */
export interface TraceProfile {
  schemaVersion: number;
  traceId: string;
  /** Index of the root span in `trace.spans`, -1 for an empty trace. */
  rootSpan: number;
  endpoint: Endpoint;
  /** Earliest span start, µs since the epoch. */
  startUs: number;
  /** Earliest start to latest end over all spans, µs (the trace's wall-clock extent). */
  durationUs: number;
  /** The root span's own duration, µs (the endpoint's latency). */
  rootDurationUs: number;
  spanCount: number;
  /** Levels in the span tree (maxDepth + 1); 0 for an empty trace. */
  depth: number;
  errorSpans: number;
  rootError: boolean;
  /**
   * Share of the root's duration covered by the union of its direct children's intervals, each clipped
   * to the root: 1 when every moment of the root is explained by a child, lower when spans are missing
   * or the root works alone. 1 for a zero-length root; 0 for a root without children.
   */
  completeness: number;
  /** Salesforce's completeness: sum of all span durations / durationUs (0 when durationUs is 0). */
  spanDurationRatio: number;
  /** Spans whose parent is not in the trace. */
  orphans: number;
  rootMissing: boolean;
  /** Producer and consumer spans. */
  asyncSpans: number;
  /** Spans whose start or duration the adjusters inferred. */
  timingInferredSpans: number;
  /** Spans the clock-skew adjuster moved. */
  skewAdjustedSpans: number;
  /** Spans that got a new id (duplicate ids, split shared client/server spans). */
  idDedupedSpans: number;
  /** Spans that lost their parent to break a reference cycle. */
  cycleBrokenSpans: number;
  fanOut: { maxChildren: number; meanChildren: number; maxRepeat: number; crossServiceCalls: number };
  /** Service-level caller -> callee edges, sorted by caller then callee. */
  edges: ServiceEdge[];
  /** Distinct (service, operation) pairs. */
  operationCount: number;
  /** Services touched, sorted by name, with instances and versions seen. */
  services: ServiceStats[];
  /** Distinct call paths, in the order a pre-order walk meets them (parents first). */
  callPaths: CallPathStats[];
  /** Call path (index into callPaths) of each span. */
  spanCallPath: Int32Array;
  /** Self time of each span, µs. */
  selfTimeUs: Float64Array;
  networkHops: NetworkHopStats[];
  /** The root's critical path (see critical-path.ts); contributions sum to rootDurationUs. */
  criticalPath: CriticalPathEntry[];
  /** Services by share of the critical path, largest first (ties by name); shares sum to 1. */
  criticalPathShares: Array<{ service: string; share: number }>;
  /** Structure signature (see signature.ts): equal for traces of one shape. */
  signature: string;
}

export function extractProfile(trace: Trace): TraceProfile {
  const { spans, root } = trace;
  const n = spans.length;
  const ids = internOperations(trace);
  const paths = buildCallPaths(trace, ids);
  const self = selfTimes(trace);
  const cp = criticalPath(trace);
  const fan = fanOut(trace, ids, paths);
  const sums = sumSpans(trace, paths, self, cp);
  const { errorSpans, asyncSpans, inferred, skewed, deduped, cycles, durationSum } = sums;
  const callPaths = callPathStats(paths, ids, sums, fan);

  const rootDuration = root >= 0 ? spans[root].duration : 0;
  const services = serviceStats(trace, ids, self, cp.timeBySpan, rootDuration);
  const criticalPathShares = services
    .filter((s) => s.criticalPathShare > 0)
    .map((s) => ({ service: s.service, share: s.criticalPathShare }))
    .sort((a, b) => b.share - a.share || cmp(a.service, b.service));
  const criticalPathEntries: CriticalPathEntry[] = new Array(cp.spans.length);
  for (let k = 0; k < cp.spans.length; k++)
    criticalPathEntries[k] = { span: cp.spans[k], timeUs: cp.timeUs[k] };

  let signature: string | undefined;
  const ep = endpointOf(trace);
  const durationUs = trace.end - trace.start;
  return {
    schemaVersion: FEATURE_SCHEMA_VERSION,
    traceId: trace.traceId,
    rootSpan: root,
    endpoint: { service: ep.service, operation: ep.operation, key: endpointKey(ep.service, ep.operation) },
    startUs: trace.start,
    durationUs,
    rootDurationUs: rootDuration,
    spanCount: n,
    depth: n === 0 ? 0 : trace.maxDepth + 1,
    errorSpans,
    rootError: root >= 0 && spans[root].error,
    completeness: root < 0 ? 0 : rootDuration === 0 ? 1 : coveredByChildren(trace, root) / rootDuration,
    spanDurationRatio: durationUs > 0 ? durationSum / durationUs : 0,
    orphans: trace.orphans.length,
    rootMissing: trace.rootMissing,
    asyncSpans,
    timingInferredSpans: inferred,
    skewAdjustedSpans: skewed,
    idDedupedSpans: deduped,
    cycleBrokenSpans: cycles,
    fanOut: {
      maxChildren: fan.maxChildren,
      meanChildren: fan.meanChildren,
      maxRepeat: fan.maxRepeat,
      crossServiceCalls: fan.crossServiceCalls,
    },
    edges: fan.edges,
    operationCount: ids.opName.length,
    services,
    callPaths,
    spanCallPath: paths.spanPath,
    selfTimeUs: self,
    networkHops: networkHops(trace, paths).map((h) => ({ ...h, key: paths.key[h.path] })),
    criticalPath: criticalPathEntries,
    criticalPathShares,
    // Computed on first read: nothing on the scoring path needs it, and it costs a sort and a hash per trace.
    get signature(): string {
      return (signature ??= structureSignature(paths.hashHi, paths.hashLo, sums.count));
    },
  };
}

/** One pass over the spans: per call path, counts and times; per trace, the counts of span kinds and repairs. */
function sumSpans(trace: Trace, paths: CallPathTable, self: Float64Array, cp: CriticalPath) {
  const { spans } = trace;
  const nPaths = paths.parent.length;
  const count = new Int32Array(nPaths);
  const total = new Float64Array(nPaths);
  const max = new Float64Array(nPaths);
  const selfByPath = new Float64Array(nPaths);
  const errByPath = new Int32Array(nPaths);
  const cpByPath = new Float64Array(nPaths);
  let errorSpans = 0;
  let asyncSpans = 0;
  let inferred = 0;
  let skewed = 0;
  let deduped = 0;
  let cycles = 0;
  let durationSum = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    const p = paths.spanPath[i];
    const d = s.duration;
    count[p]++;
    total[p] += d;
    if (d > max[p]) max[p] = d;
    selfByPath[p] += self[i];
    cpByPath[p] += cp.timeBySpan[i];
    durationSum += d;
    if (s.error) {
      errByPath[p]++;
      errorSpans++;
    }
    if (s.kind === 'producer' || s.kind === 'consumer') asyncSpans++;
    const adj = s.adjusted;
    if (adj !== undefined && adj.length > 0) {
      if (adj.includes('start-inferred') || adj.includes('duration-inferred')) inferred++;
      if (adj.includes('clock-skew')) skewed++;
      if (adj.includes('id-deduped')) deduped++;
      if (adj.includes('cycle-broken')) cycles++;
    }
  }
  return {
    count,
    total,
    max,
    selfByPath,
    errByPath,
    cpByPath,
    errorSpans,
    asyncSpans,
    inferred,
    skewed,
    deduped,
    cycles,
    durationSum,
  };
}

function callPathStats(
  paths: CallPathTable,
  ids: Interned,
  sums: ReturnType<typeof sumSpans>,
  fan: FanOut,
): CallPathStats[] {
  const nPaths = paths.parent.length;
  const callPaths: CallPathStats[] = new Array(nPaths);
  for (let p = 0; p < nPaths; p++) {
    const o = paths.op[p];
    callPaths[p] = {
      key: paths.key[p],
      parent: paths.parent[p],
      depth: paths.depth[p],
      service: ids.services[ids.opService[o]],
      operation: ids.opName[o],
      count: sums.count[p],
      totalDurationUs: sums.total[p],
      maxDurationUs: sums.max[p],
      selfTimeUs: sums.selfByPath[p],
      errors: sums.errByPath[p],
      criticalPathUs: sums.cpByPath[p],
      maxRepeat: fan.repeatByPath[p],
    };
  }
  return callPaths;
}
