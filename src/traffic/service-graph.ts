import { z } from 'zod';
import { sumTargets, type MinuteBucket } from './minute-buckets.js';
import { MINUTE_US } from './minute.js';
import { TargetStat } from './target-stat.js';
import { parseEndpointKey, splitEdgeKey, type EndpointParts } from '../trace/endpoint-key.js';
import { isoFromMicros } from '../trace/iso-time.js';
import { cmp } from '../features/code-unit-order.js';

/**
 * The service topology of a window, built from the traces themselves (no dependency-linker batch job):
 * services with their RED figures and anomaly heat, caller -> callee edges with theirs.
 */

const ms = (us: number) => (Number.isFinite(us) ? Math.round(us) / 1000 : 0);

const Red = {
  calls: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  errorRate: z.number().min(0).max(1),
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
};

export const TopologyNodeSchema = z.object({
  service: z.string(),
  /** Requests the service served (its entry spans: server, consumer, or the root). */
  ...Red,
  /** Traces that passed the service and were anomalous. */
  anomalous: z.number().int().nonnegative(),
  /** Anomalous traces whose first root cause is this service. */
  heat: z.number().int().nonnegative(),
});

export const TopologyOperationSchema = z.object({
  /** Caller operation (the caller service's entry span) and callee operation. */
  from: z.string(),
  to: z.string(),
  ...Red,
  /** Calls per caller request: above 1 means loops or retries. */
  callsPerCaller: z.number().nonnegative(),
});

export const TopologyEdgeSchema = z.object({
  from: z.string(),
  to: z.string(),
  ...Red,
  callsPerMin: z.number().nonnegative(),
  /** Anomalous traces that passed the edge (summed over its operation pairs). */
  anomalous: z.number().int().nonnegative(),
  /** Call volume that stands out among the window's edges (a high-traffic area). */
  highTraffic: z.boolean(),
  /** Operation pairs, busiest first. */
  operations: z.array(TopologyOperationSchema).optional(),
});

export const TopologySchema = z.object({
  /** The window, ISO 8601: minute buckets starting in [from, to]. */
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  /** Minutes in the window (callsPerMin divides by it). */
  minutes: z.number().int().nonnegative(),
  nodes: z.array(TopologyNodeSchema),
  edges: z.array(TopologyEdgeSchema),
});
export type Topology = z.infer<typeof TopologySchema>;
export type TopologyNode = z.infer<typeof TopologyNodeSchema>;
export type TopologyEdge = z.infer<typeof TopologyEdgeSchema>;

/** An endpoint key's service and operation; a string that is no key is a service without an operation. */
export function splitEndpoint(key: string): EndpointParts {
  return parseEndpointKey(key) ?? { service: key, operation: '' };
}

function red(s: TargetStat) {
  return {
    calls: s.calls,
    errors: s.errors,
    errorRate: s.calls > 0 ? s.errors / s.calls : 0,
    p50Ms: s.calls > 0 ? ms(s.latency.quantile(0.5)) : 0,
    p95Ms: s.calls > 0 ? ms(s.latency.quantile(0.95)) : 0,
  };
}

/**
 * Edges whose calls per minute stand out: above the median of all edges by more than HIGH_TRAFFIC_MADS
 * robust deviations, on a log scale (volumes span orders of magnitude), and at least 4x the median.
 */
const HIGH_TRAFFIC_MADS = 3;

function highTraffic(calls: number[]): (c: number) => boolean {
  if (calls.length < 3) return () => false;
  const logs = calls.map((c) => Math.log(c + 1)).sort((a, b) => a - b);
  const med = logs[logs.length >> 1];
  const dev = logs.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
  const mad = Math.max(dev[dev.length >> 1] * 1.4826, 0.25);
  return (c) => {
    const x = Math.log(c + 1);
    return x > med + HIGH_TRAFFIC_MADS * mad && x > med + Math.log(4);
  };
}

/**
 * Builds the topology from the buckets of a window. `from`/`to` (µs) bound the window for callsPerMin and
 * the reported range; by default the buckets' own first and last minutes.
 */
export function buildTopology(
  buckets: readonly MinuteBucket[],
  window: { from?: number; to?: number; operations?: boolean } = {},
): Topology {
  const first = buckets.length ? Math.min(...buckets.map((b) => b.minute)) : 0;
  const last = buckets.length ? Math.max(...buckets.map((b) => b.minute)) : 0;
  const from = window.from ?? first;
  const to = window.to ?? last + MINUTE_US - 1;
  const minutes = Math.max(1, Math.ceil((to - from + 1) / MINUTE_US));

  const services = sumTargets(buckets, 'service');
  const opEdges = sumTargets(buckets, 'edge');

  // Operation pairs grouped per service pair.
  const groups = new Map<string, { from: string; to: string; ops: Array<[string, string, TargetStat]> }>();
  for (const [key, s] of opEdges) {
    const { caller, callee } = splitEdgeKey(key);
    const a = splitEndpoint(caller);
    const b = splitEndpoint(callee);
    const gk = a.service + '\u0000' + b.service;
    let g = groups.get(gk);
    if (g === undefined) groups.set(gk, (g = { from: a.service, to: b.service, ops: [] }));
    g.ops.push([a.operation, b.operation, s]);
  }

  const edges: TopologyEdge[] = [];
  for (const g of groups.values()) {
    const total = g.ops[0][2];
    const sum = g.ops.length === 1 ? total : mergedOf(g.ops.map((o) => o[2]));
    const ops = g.ops
      .map(([f, t, s]) => ({
        from: f,
        to: t,
        ...red(s),
        callsPerCaller: s.callers > 0 ? s.calls / s.callers : 0,
      }))
      .sort((x, y) => y.calls - x.calls || cmp(x.from + x.to, y.from + y.to));
    edges.push({
      from: g.from,
      to: g.to,
      ...red(sum),
      callsPerMin: sum.calls / minutes,
      anomalous: sum.anomalous,
      highTraffic: false,
      ...(window.operations === false ? {} : { operations: ops }),
    });
  }
  const isHigh = highTraffic(edges.map((e) => e.calls));
  for (const e of edges) e.highTraffic = isHigh(e.calls);
  edges.sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to));

  const names = new Set(services.keys());
  for (const e of edges) names.add(e.from).add(e.to);
  const nodes: TopologyNode[] = [...names].sort(cmp).map((service) => {
    const s = services.get(service);
    return s
      ? { service, ...red(s), anomalous: s.anomalous, heat: s.heat }
      : { service, calls: 0, errors: 0, errorRate: 0, p50Ms: 0, p95Ms: 0, anomalous: 0, heat: 0 };
  });
  return { from: isoFromMicros(from), to: isoFromMicros(to), minutes, nodes, edges };
}

function mergedOf(stats: TargetStat[]): TargetStat {
  const out = new TargetStat();
  for (const s of stats) out.merge(s);
  return out;
}
