/**
 * The simulator: arrivals in, finished traces with their ground truth out. Pure and seeded: the caller passes
 * the start time, and trace k draws from its own generator so faults in one trace never shift another.
 */
import type { Span } from '../trace/span.js';
import { compileTopology, type CompiledTopology } from './compile.js';
import { TraceEngine } from './engine.js';
import type { FaultRt, LiveFault, TraceCtx } from './engine-state.js';
import {
  FAULT_KIND,
  FaultSchedule,
  type FaultSpec,
  type FaultTruth,
  type RootCause,
  type TraceTruth,
} from './faults.js';
import { randomTraceId, Rng } from './seeded-random.js';
import { DEFAULT_START_US, type Scenario } from './scenario.js';
import { Workload } from './workload.js';
import { simSessionId } from './sessions.js';

export interface SimOptions {
  seed?: number;
  /** µs since the epoch of the first instant simulated. */
  startUs?: number;
}

export interface GeneratedTrace {
  traceId: string;
  spans: Span[];
  truth: TraceTruth;
}

function resolveFault(topo: CompiledTopology, spec: FaultSpec, where: string): FaultRt {
  const t = spec.target;
  const svc = (name: string | undefined, what: string) => {
    if (name === undefined) return undefined;
    const s = topo.serviceByName.get(name);
    if (!s) throw new Error(`${where}: ${what} "${name}" is not a service of ${topo.topology.name}`);
    return s;
  };
  const op = (key: string | undefined, what: string) => {
    if (key === undefined) return undefined;
    const o = topo.opByKey.get(key);
    if (!o) throw new Error(`${where}: ${what} "${key}" is not an operation of ${topo.topology.name}`);
    return o;
  };
  const rt: FaultRt = { spec, service: svc(t.service, 'service') };
  if (t.operation !== undefined) {
    if (!t.service) throw new Error(`${where}: an operation target needs its service`);
    rt.op = op(`${t.service}/${t.operation}`, 'operation');
  }
  if (t.instance !== undefined) {
    if (!rt.service) throw new Error(`${where}: an instance target needs its service`);
    const inst =
      typeof t.instance === 'number'
        ? rt.service.instances[t.instance]
        : rt.service.instances.find((i) => i.name === t.instance);
    if (!inst) throw new Error(`${where}: service ${rt.service.name} has no instance ${t.instance}`);
    rt.instance = inst;
  }
  rt.from = svc(t.from, 'edge caller');
  rt.to = svc(t.to, 'edge callee');
  if (t.endpoint !== undefined) {
    rt.endpoint = topo.endpoints.find((e) => e.def.op === t.endpoint);
    if (!rt.endpoint)
      throw new Error(`${where}: "${t.endpoint}" is not an endpoint of ${topo.topology.name}`);
  }
  rt.call = op(t.call, 'call');
  rt.add = op(t.add, 'replacement call');
  const need = (ok: unknown, what: string) => {
    if (!ok) throw new Error(`${where}: a ${spec.type} fault needs ${what}`);
  };
  switch (spec.type) {
    case 'network':
      need(rt.from && rt.to, 'target.from and target.to');
      break;
    case 'n-plus-one':
      need(rt.op && rt.call, 'target.service, target.operation and target.call');
      break;
    case 'structure':
      need(rt.op && rt.call && rt.add, 'target.service, target.operation, target.call and target.add');
      break;
    case 'spike':
      break;
    default:
      need(rt.service, 'target.service');
  }
  return rt;
}

function rootCauseOf(rt: FaultRt): RootCause {
  const s = rt.spec;
  if (s.type === 'network') return { service: rt.to!.name, edge: { from: rt.from!.name, to: rt.to!.name } };
  if (s.type === 'spike') {
    const op = rt.endpoint?.op;
    return op
      ? {
          service: op.service.name,
          operation: op.name,
          load: { service: op.service.name, operation: op.name },
        }
      : { service: 'traffic' };
  }
  const rc: RootCause = { service: rt.service?.name ?? 'unknown' };
  if (rt.op) rc.operation = rt.op.name;
  if (rt.instance) rc.instance = rt.instance.name;
  return rc;
}

function describe(rt: FaultRt, rc: RootCause): string {
  const s = rt.spec;
  const at = rc.edge
    ? `${rc.edge.from} -> ${rc.edge.to}`
    : [rc.service, rc.operation, rc.instance].filter(Boolean).join(' ');
  switch (s.type) {
    case 'structure':
      return `${at}: calls ${rt.add!.key} instead of ${rt.call!.key} on ${Math.round(s.intensity * 100)}% of requests`;
    case 'n-plus-one':
      return `${at}: calls ${rt.call!.key} ${s.intensity} times per request`;
    default:
      return `${s.type} at ${at}, intensity ${s.intensity}`;
  }
}

export class Simulator {
  readonly compiled: CompiledTopology;
  readonly workload: Workload;
  readonly schedule: FaultSchedule;
  readonly seed: number;
  readonly startUs: number;
  private readonly engine: TraceEngine;
  private readonly faultRts: FaultRt[];
  private readonly arrivals: Rng;
  private nextAt: number;
  private count = 0;

  constructor(
    readonly scenario: Scenario,
    opts: SimOptions = {},
  ) {
    this.seed = opts.seed ?? 1;
    this.startUs = Math.round(opts.startUs ?? DEFAULT_START_US);
    this.compiled = compileTopology(scenario.topology());
    this.workload = new Workload(scenario.workload, this.compiled);
    this.schedule = new FaultSchedule(scenario.faults, this.startUs, scenario.repeatEveryS);
    this.faultRts = scenario.faults.map((f, i) =>
      resolveFault(this.compiled, f, `scenario ${scenario.name}, fault ${f.id ?? i}`),
    );
    this.engine = new TraceEngine(this.compiled);
    this.arrivals = new Rng(this.seed ^ 0x51a7e5);
    this.nextAt = this.startUs;
    this.nextAt += Math.round(this.workload.gap(this.arrivals, this.nextAt, this.multipliers(this.nextAt)));
  }

  private live(tUs: number): LiveFault[] {
    const out: LiveFault[] = [];
    for (const w of this.schedule.active(tUs))
      out.push({ rt: this.faultRts[this.scenario.faults.indexOf(w.spec)], window: w });
    return out;
  }

  private multipliers(tUs: number): number[] {
    return this.workload.multipliers(this.live(tUs));
  }

  /** When the next trace starts, µs. */
  get nextArrival(): number {
    return this.nextAt;
  }

  get generated(): number {
    return this.count;
  }

  /** Makes the trace that arrives next and moves the clock to the arrival after it. */
  next(): GeneratedTrace {
    const t0 = this.nextAt;
    const live = this.live(t0);
    const mult = this.workload.multipliers(live);
    const endpoint = this.workload.pickEndpoint(this.arrivals, mult);
    this.nextAt = t0 + Math.max(1, Math.round(this.workload.gap(this.arrivals, t0, mult)));
    const k = this.count++;
    const rng = new Rng((Math.imul(this.seed, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0);
    const traceId = randomTraceId(rng);
    const flags = new Set<string>();
    for (const [flag, p] of endpoint.flags) if (rng.chance(p)) flags.add(flag);
    // A spike loads the services its endpoint calls, so it can slow traces of every endpoint sharing them.
    const spike = live.find((lf) => lf.rt.spec.type === 'spike');
    const ctx: TraceCtx = {
      rng,
      t0,
      recs: [],
      flags,
      live,
      rho: this.workload.utilization(t0, mult, false),
      rho0: this.workload.utilization(t0, mult, true),
      spike,
      touches: [],
      withinNormal: new Set(),
    };
    this.engine.run(ctx, endpoint);
    const recs = ctx.recs;
    const abs = new Array<number>(recs.length);
    const spans: Span[] = [];
    const session = simSessionId(this.seed, k, t0, this.startUs);
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i];
      const start = (abs[i] = (r.parent < 0 ? t0 : abs[r.parent]) + r.rel);
      if (r.dropped) continue;
      const span: Span = {
        traceId,
        spanId: r.id,
        service: r.inst.service.name,
        operation: r.name,
        kind: r.kind,
        start,
        duration: r.dur,
        error: r.error,
        attributes: r.attrs,
        // Shared by every span of the instance: resources are read-only.
        resource: r.inst.resource,
        events: r.error ? 1 : 0,
        instance: r.inst.name,
      };
      if (r.parent >= 0) span.parentId = recs[r.parent].id;
      else if (session !== undefined) span.attributes = { ...span.attributes, 'session.id': session };
      if (r.msg !== undefined) span.statusMessage = r.msg;
      spans.push(span);
    }
    const first = ctx.touches[0];
    const truth: TraceTruth = {
      traceId,
      start: t0,
      endpoint: endpoint.def.op,
      anomalous: ctx.touches.length > 0,
      faults: ctx.touches.map((t) => t.fault.window.id),
    };
    const subtle = [...ctx.withinNormal].filter((lf) => !ctx.touches.some((t) => t.fault === lf));
    if (subtle.length > 0) truth.withinNormal = subtle.map((lf) => lf.window.id);
    if (first) {
      truth.faultType = first.fault.rt.spec.type;
      truth.rootCause = first.root;
    }
    return { traceId, spans, truth };
  }

  /** Ground truth of every fault window that starts before `untilUs`. */
  faults(untilUs: number): FaultTruth[] {
    return this.schedule.windows(untilUs).map((w) => {
      const rt = this.faultRts[this.scenario.faults.indexOf(w.spec)];
      const rootCause = rootCauseOf(rt);
      return {
        id: w.id,
        type: w.spec.type,
        kind: FAULT_KIND[w.spec.type],
        start: w.start,
        end: w.end,
        intensity: w.spec.intensity,
        target: w.spec.target,
        rootCause,
        description: describe(rt, rootCause),
      };
    });
  }
}
