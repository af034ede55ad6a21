/**
 * Turns a Topology into the indexed runtime the generator walks: operations with resolved calls, instances with
 * their resource attributes, and each service's expected load per request (what queueing is computed from).
 */
import type { Attributes } from '../trace/span.js';
import { hashString } from './seeded-random.js';
import {
  isLocal,
  isParallel,
  opKey,
  validateTopology,
  type CallDef,
  type CallVia,
  type EndpointDef,
  type LatencyDef,
  type OperationDef,
  type ServiceDef,
  type Topology,
} from './system-topology.js';

export interface InstanceRt {
  name: string;
  index: number;
  service: ServiceRt;
  version: string;
  host: string;
  resource: Attributes;
}

export interface ServiceRt {
  def: ServiceDef;
  name: string;
  index: number;
  instances: InstanceRt[];
  utilization: number;
}

export interface LatencyRt {
  medianUs: number;
  sigma: number;
  tailP: number;
  meanUs: number;
}

export interface CallRt {
  def: CallDef;
  target: OpRt;
  via: CallVia;
  fallback?: OpRt;
  fill?: OpRt;
}

export interface LocalRt {
  name: string;
  latency: LatencyRt;
}

export type StepItemRt = { call: CallRt } | { local: LocalRt };
export interface StepRt {
  parallel: boolean;
  items: StepItemRt[];
}

export interface OpRt {
  key: string;
  index: number;
  def: OperationDef;
  name: string;
  service: ServiceRt;
  latency: LatencyRt;
  steps: StepRt[];
  errorRate: number;
  /** Services this operation's subtree can reach (itself included), for retry storms. */
  reaches: Set<string>;
}

export interface EndpointRt {
  def: EndpointDef;
  op: OpRt;
  weight: number;
  flags: [string, number][];
  /** Expected busy time per request, µs, for each service index. */
  load: Float64Array;
}

export interface CompiledTopology {
  topology: Topology;
  services: ServiceRt[];
  serviceByName: Map<string, ServiceRt>;
  ops: OpRt[];
  opByKey: Map<string, OpRt>;
  endpoints: EndpointRt[];
  /** Mean load per service over the endpoint mix, µs per request. */
  meanLoad: Float64Array;
}

function latencyRt(l: LatencyDef): LatencyRt {
  const sigma = l.sigma ?? 0.5;
  const tailP = l.tailP ?? 0.01;
  const medianUs = l.medianMs * 1000;
  // Pareto(1.5) has mean 3: the tail adds 2x the log-normal mean on tailP of the calls.
  const meanUs = medianUs * Math.exp((sigma * sigma) / 2) * (1 + 2 * tailP);
  return { medianUs, sigma, tailP, meanUs };
}

const POD_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function podSuffix(h: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    s += POD_CHARS[h % POD_CHARS.length];
    h = Math.floor(h / POD_CHARS.length) ^ Math.imul(h, 31);
    h >>>= 0;
  }
  return s;
}

function instancesOf(svc: ServiceRt): InstanceRt[] {
  const def = svc.def;
  const versions = def.versions ?? ['1.0.0'];
  const rs = podSuffix(hashString(def.name), 9);
  const out: InstanceRt[] = [];
  for (let i = 0; i < def.instances; i++) {
    // The newest version goes to the last instances: a canary rollout.
    const vi = Math.max(
      0,
      versions.length - 1 - Math.floor(((def.instances - 1 - i) * versions.length) / def.instances),
    );
    const version = versions[Math.min(versions.length - 1, vi)];
    const name = `${def.name}-${rs}-${podSuffix(hashString(`${def.name}#${i}`), 5)}`;
    const h = hashString(name);
    const host = `node-${(h % 6) + 1}`;
    out.push({
      name,
      index: i,
      service: svc,
      version,
      host,
      resource: {
        'service.name': def.name,
        'service.version': version,
        'service.instance.id': name,
        'k8s.pod.name': name,
        'host.name': host,
        'net.host.ip': `10.0.${(h >>> 8) & 255}.${(h & 253) + 1}`,
        ...(def.language ? { 'telemetry.sdk.language': def.language } : {}),
      },
    });
  }
  return out;
}

function viaOf(c: CallDef, target: ServiceRt): CallVia {
  if (c.via) return c.via;
  if (target.def.kind === 'db') return 'db';
  if (target.def.kind === 'cache') return 'cache';
  if (target.def.kind === 'queue') return 'async';
  return 'rpc';
}

export function compileTopology(topology: Topology): CompiledTopology {
  const order = validateTopology(topology);
  const services: ServiceRt[] = topology.services.map((def, index) => ({
    def,
    name: def.name,
    index,
    instances: [],
    utilization: def.utilization ?? 0.35,
  }));
  for (const s of services) s.instances = instancesOf(s);
  const serviceByName = new Map(services.map((s) => [s.name, s]));
  const ops: OpRt[] = order.map((def, index) => ({
    key: opKey(def.service, def.name),
    index,
    def,
    name: def.name,
    service: serviceByName.get(def.service)!,
    latency: latencyRt(def.latency),
    steps: [],
    errorRate: def.errorRate ?? 0,
    reaches: new Set([def.service]),
  }));
  const opByKey = new Map(ops.map((o) => [o.key, o]));
  const callRt = (c: CallDef): CallRt => {
    const target = opByKey.get(c.to)!;
    return {
      def: c,
      target,
      via: viaOf(c, target.service),
      fallback: c.fallback ? opByKey.get(c.fallback) : undefined,
      fill: c.fill ? opByKey.get(c.fill) : undefined,
    };
  };
  for (const o of ops) {
    for (const s of o.def.steps ?? []) {
      const items = isParallel(s) ? s.parallel : [s];
      o.steps.push({
        parallel: isParallel(s),
        items: items.map((it) =>
          isLocal(it) ? { local: { name: it.local, latency: latencyRt(it.latency) } } : { call: callRt(it) },
        ),
      });
    }
  }
  // Reachability, callees first.
  for (let i = ops.length - 1; i >= 0; i--) {
    const o = ops[i];
    for (const st of o.steps)
      for (const it of st.items)
        if ('call' in it) {
          for (const t of [it.call.target, it.call.fallback, it.call.fill])
            if (t) for (const s of t.reaches) o.reaches.add(s);
        }
  }
  const endpoints = topology.endpoints.map((def) => {
    const op = opByKey.get(def.op)!;
    const flags = Object.entries(def.flags ?? {});
    return {
      def,
      op,
      weight: def.weight,
      flags,
      load: expectedLoad(ops, services.length, op, def.flags ?? {}),
    };
  });
  const meanLoad = new Float64Array(services.length);
  const wsum = endpoints.reduce((a, e) => a + e.weight, 0);
  for (const e of endpoints)
    for (let s = 0; s < services.length; s++) meanLoad[s] += (e.weight / wsum) * e.load[s];
  return { topology, services, serviceByName, ops, opByKey, endpoints, meanLoad };
}

/** Expected visits of each operation per request (topological order: callers first), turned into busy time. */
function expectedLoad(
  ops: OpRt[],
  nServices: number,
  entry: OpRt,
  flags: Record<string, number>,
): Float64Array {
  const visits = new Float64Array(ops.length);
  visits[entry.index] = 1;
  for (const o of ops) {
    const v = visits[o.index];
    if (v === 0) continue;
    for (const st of o.steps)
      for (const it of st.items) {
        if (!('call' in it)) continue;
        const c = it.call.def;
        let m = (c.p ?? 1) * (c.repeat ? (c.repeat[0] + c.repeat[1]) / 2 : 1);
        if (c.when) m *= flags[c.when] ?? 0.5;
        if (c.unless) m *= 1 - (flags[c.unless] ?? 0.5);
        visits[it.call.target.index] += v * m;
        const miss = c.missRate ?? 0;
        if (it.call.fallback) visits[it.call.fallback.index] += v * m * miss;
        if (it.call.fill) visits[it.call.fill.index] += v * m * miss;
      }
  }
  const load = new Float64Array(nServices);
  for (const o of ops) load[o.service.index] += visits[o.index] * o.latency.meanUs;
  return load;
}
