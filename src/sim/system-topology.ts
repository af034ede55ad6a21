/**
 * Topologies as data: services, their operations, and the calls each operation makes. A call names its
 * target as "service/operation" (service names never contain a slash; operation names may).
 */

export type ServiceKind = 'app' | 'gateway' | 'db' | 'cache' | 'queue';

export interface ServiceDef {
  name: string;
  kind?: ServiceKind;
  /** Pods of the service. */
  instances: number;
  /** Versions, one per instance in turn (the last instances run the last version: a canary). */
  versions?: string[];
  /** Busy fraction of each instance at the mean arrival rate: sets how much load raises latency. */
  utilization?: number;
  /** db.system for databases and caches (postgresql, redis, mongodb...). */
  system?: string;
  language?: string;
}

export interface LatencyDef {
  /** Median self time, ms. */
  medianMs: number;
  /** Shape of the log-normal (0.3 tight, 1.0 wide). */
  sigma?: number;
  /** Probability of a slow path drawn from a Pareto tail. */
  tailP?: number;
}

export type CallVia = 'rpc' | 'http' | 'db' | 'cache' | 'async';

export interface CallDef {
  /** "service/operation". */
  to: string;
  via?: CallVia;
  /** Probability that the call is made at all (an optional call). */
  p?: number;
  /** Made only when this request flag is set (a conditional call). */
  when?: string;
  /** Made only when this request flag is not set. */
  unless?: string;
  /** Called this many times, drawn uniformly in [min, max] (a loop over items). */
  repeat?: [number, number];
  /** The repeated calls run concurrently. */
  concurrent?: boolean;
  timeoutMs?: number;
  retries?: number;
  /** A failure of this call is handled by the caller and does not fail it. */
  optional?: boolean;
  /** For cache reads: the probability of a miss, and the call made on a miss or failure ("service/op"). */
  missRate?: number;
  fallback?: string;
  /** For cache reads: the call that fills the cache after a miss. */
  fill?: string;
  /** Topic name for async calls. */
  topic?: string;
}

/** A local unit of work inside an operation, emitted as an internal span. */
export interface LocalDef {
  local: string;
  latency: LatencyDef;
}

export interface ParallelDef {
  parallel: (CallDef | LocalDef)[];
}

export type StepDef = CallDef | LocalDef | ParallelDef;

export interface OperationDef {
  service: string;
  name: string;
  latency: LatencyDef;
  steps?: StepDef[];
  /** Baseline probability that the operation fails on its own. */
  errorRate?: number;
  attributes?: Record<string, string | number | boolean>;
}

export interface EndpointDef {
  /** "service/operation" of the entry operation. */
  op: string;
  weight: number;
  /** Request flags and their probabilities, for conditional calls. */
  flags?: Record<string, number>;
}

export interface Topology {
  name: string;
  description: string;
  services: ServiceDef[];
  operations: OperationDef[];
  endpoints: EndpointDef[];
}

export function isParallel(s: StepDef): s is ParallelDef {
  return (s as ParallelDef).parallel !== undefined;
}

export function isLocal(s: StepDef | CallDef | LocalDef): s is LocalDef {
  return (s as LocalDef).local !== undefined;
}

export function opKey(service: string, operation: string): string {
  return `${service}/${operation}`;
}

export function splitKey(key: string): { service: string; operation: string } {
  const i = key.indexOf('/');
  if (i <= 0) throw new Error(`call target "${key}" is not "service/operation"`);
  return { service: key.slice(0, i), operation: key.slice(i + 1) };
}

/** Every call a step list makes, including the fallbacks and fills of cache calls. */
export function callsOf(op: OperationDef): CallDef[] {
  const out: CallDef[] = [];
  for (const s of op.steps ?? []) {
    if (isParallel(s)) {
      for (const c of s.parallel) if (!isLocal(c)) out.push(c);
    } else if (!isLocal(s)) out.push(s);
  }
  return out;
}

export function targetsOf(c: CallDef): string[] {
  const t = [c.to];
  if (c.fallback) t.push(c.fallback);
  if (c.fill) t.push(c.fill);
  return t;
}

/** Deeper than this and the generator's recursion could come near the stack limit. */
export const MAX_CALL_DEPTH = 200;

/**
 * Checks names, references and that the call graph is acyclic; returns operations in topological order
 * (callers before callees). Throws with the offending operation named.
 */
export function validateTopology(t: Topology): OperationDef[] {
  const services = new Map(t.services.map((s) => [s.name, s]));
  if (services.size !== t.services.length) throw new Error(`topology ${t.name}: duplicate service names`);
  for (const s of t.services) {
    if (s.name.includes('/')) throw new Error(`topology ${t.name}: service name "${s.name}" contains "/"`);
    if (!(s.instances >= 1))
      throw new Error(`topology ${t.name}: service ${s.name} needs at least one instance`);
  }
  const ops = new Map<string, OperationDef>();
  for (const o of t.operations) {
    if (!services.has(o.service))
      throw new Error(`topology ${t.name}: operation ${o.name} names unknown service ${o.service}`);
    const k = opKey(o.service, o.name);
    if (ops.has(k)) throw new Error(`topology ${t.name}: duplicate operation ${k}`);
    ops.set(k, o);
  }
  const indeg = new Map<string, number>();
  for (const k of ops.keys()) indeg.set(k, 0);
  for (const o of t.operations) {
    for (const c of callsOf(o)) {
      for (const target of targetsOf(c)) {
        if (!ops.has(target))
          throw new Error(`topology ${t.name}: ${opKey(o.service, o.name)} calls unknown ${target}`);
        indeg.set(target, indeg.get(target)! + 1);
      }
    }
  }
  for (const e of t.endpoints) {
    if (!ops.has(e.op)) throw new Error(`topology ${t.name}: endpoint ${e.op} is not an operation`);
  }
  if (t.endpoints.length === 0) throw new Error(`topology ${t.name}: no endpoints`);
  // Kahn's algorithm: what is left over sits on a cycle.
  const order: OperationDef[] = [];
  const depth = new Map<string, number>();
  const queue = [...ops.keys()].filter((k) => indeg.get(k) === 0);
  for (const k of queue) depth.set(k, 0);
  while (queue.length > 0) {
    const k = queue.shift()!;
    const o = ops.get(k)!;
    order.push(o);
    for (const c of callsOf(o)) {
      for (const target of targetsOf(c)) {
        depth.set(target, Math.max(depth.get(target) ?? 0, depth.get(k)! + 1));
        const d = indeg.get(target)! - 1;
        indeg.set(target, d);
        if (d === 0) queue.push(target);
      }
    }
  }
  if (order.length !== ops.size) {
    const stuck = [...ops.keys()].filter((k) => indeg.get(k)! > 0);
    throw new Error(`topology ${t.name}: call graph has a cycle through ${stuck.slice(0, 3).join(', ')}`);
  }
  const maxDepth = Math.max(...depth.values());
  if (maxDepth > MAX_CALL_DEPTH)
    throw new Error(`topology ${t.name}: call chains ${maxDepth} deep (max ${MAX_CALL_DEPTH})`);
  return order;
}
