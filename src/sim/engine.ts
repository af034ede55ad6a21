/**
 * Builds one trace: walks the compiled call graph from an endpoint, drawing self times, queueing, network time,
 * errors, retries and timeouts, and applying the faults active at the trace's arrival. Times are kept relative to
 * the parent span while building (a subtree's length is known only once it is done) and made absolute on output.
 *
 * The walk recurses along the call graph, whose depth validateTopology bounds (MAX_CALL_DEPTH), so it cannot
 * come near the stack limit whatever the trace size.
 */
import type { Attributes, SpanKind } from '../trace/span.js';
import type { CallRt, CompiledTopology, EndpointRt, InstanceRt, LatencyRt, OpRt } from './compile.js';
import type { RootCause } from './faults.js';
import { sampleLatency, waitOf } from './latency-draws.js';
import { markStatus, protocolAttrs } from './protocol-attributes.js';
import { NormalRanges } from './normal-range.js';
import { matchesNode, type LiveFault, type TraceCtx } from './engine-state.js';
import { recordSpan, touchFault } from './trace-recording.js';

export class TraceEngine {
  private readonly normal = new NormalRanges();

  constructor(readonly topo: CompiledTopology) {}

  run(ctx: TraceCtx, endpoint: EndpointRt): { error: boolean } {
    const inst = ctx.rng.pick(endpoint.op.service.instances);
    return this.runOp(ctx, endpoint.op, inst, -1, 'server', 0, undefined);
  }

  /** One server (or consumer) span and everything under it; returns its duration (µs) and whether it failed. */
  runOp(
    ctx: TraceCtx,
    op: OpRt,
    inst: InstanceRt,
    parent: number,
    kind: SpanKind,
    rel: number,
    via: string | undefined,
  ): { dur: number; error: boolean } {
    const rng = ctx.rng;
    const rec = recordSpan(ctx, parent, inst, op.name, kind, rel, protocolAttrs(via, op, false), false);
    const index = ctx.recs.length - 1;
    const where: RootCause = { service: op.service.name, operation: op.name, instance: inst.name };
    const self0 = sampleLatency(rng, op.latency);
    let self = self0;
    const u = rng.next();
    const v = rng.next();
    let rho = ctx.rho[op.service.index];
    let failFault: LiveFault | undefined;
    let failP = 0;
    const slowedBy: LiveFault[] = [];
    for (const lf of ctx.live) {
      const f = lf.rt;
      switch (f.spec.type) {
        case 'latency':
          if (matchesNode(f, op, inst)) {
            self += f.spec.intensity * 1000 * rng.logNormal(1, 0.2);
            slowedBy.push(lf);
          }
          break;
        case 'cpu':
          if (matchesNode(f, op, inst)) {
            self *= 1 + f.spec.intensity;
            rho = Math.min(0.97, rho + f.spec.intensity * (1 - rho));
            slowedBy.push(lf);
          }
          break;
        case 'leak':
          if (matchesNode(f, op, inst)) {
            const frac = (ctx.t0 - lf.window.start) / (lf.window.end - lf.window.start);
            const m = Math.pow(Math.max(1, f.spec.intensity), Math.min(1, Math.max(0, frac)));
            self *= m;
            slowedBy.push(lf);
          }
          break;
        case 'errors':
          if (matchesNode(f, op, inst)) {
            failFault = lf;
            failP = f.spec.intensity;
          }
          break;
        case 'retry-storm':
          if (f.service === op.service) {
            self *= 1 + 2 * f.spec.intensity;
            failFault = lf;
            failP = f.spec.intensity;
          }
          break;
        case 'lost-spans':
          if (matchesNode(f, op, inst) && rng.chance(f.spec.intensity)) {
            rec.dropped = true;
            touchFault(ctx, lf, where);
          }
          break;
      }
    }
    const meanUs = op.latency.meanUs;
    const wait = waitOf(rho, meanUs, u, v);
    if (slowedBy.length > 0 || ctx.spike) this.slowed(ctx, op, where, slowedBy, self0, self, wait, u, v);

    let error = false;
    let msg: string | undefined;
    if (rng.chance(op.errorRate)) error = true;
    else if (failFault && rng.chance(failP)) {
      error = true;
      msg = failFault.rt.spec.type === 'retry-storm' ? 'UNAVAILABLE: overloaded' : 'injected fault';
      touchFault(ctx, failFault, where);
    }
    const steps = op.steps;
    const nSteps = error ? rng.intBetween(0, steps.length) : steps.length;
    if (error && nSteps < steps.length) self *= 0.5;
    const pre = nSteps > 0 ? self * 0.3 : self;
    const gap = nSteps > 0 ? (self * 0.2) / nSteps : 0;
    let cursor = wait + pre;
    let childError = false;
    for (let s = 0; s < nSteps; s++) {
      const step = steps[s];
      if (step.parallel) {
        let end = cursor;
        for (let i = 0; i < step.items.length; i++) {
          const it = step.items[i];
          const start = cursor + i * rng.exponential(40);
          const r =
            'call' in it
              ? this.call(ctx, op, inst, index, it.call, start, rec.dropped)
              : this.local(ctx, inst, index, it.local.name, it.local.latency, start, rec.dropped);
          if (r.end > end) end = r.end;
          if (r.error) childError = true;
        }
        cursor = end;
      } else {
        const it = step.items[0];
        const r =
          'call' in it
            ? this.call(ctx, op, inst, index, it.call, cursor, rec.dropped)
            : this.local(ctx, inst, index, it.local.name, it.local.latency, cursor, rec.dropped);
        cursor = r.end;
        if (r.error) childError = true;
      }
      cursor += gap;
    }
    const dur = Math.max(1, Math.round(cursor + self - pre - gap * nSteps));
    rec.dur = dur;
    if (!error && childError) {
      error = true;
      msg = 'downstream call failed';
    }
    markStatus(rec, error, msg);
    return { dur, error };
  }

  /**
   * Latency faults change a trace only when they push a span's self time (wait plus work) beyond its
   * fault-free range; within it they are recorded as `withinNormal` and the trace stays normal.
   */
  private slowed(
    ctx: TraceCtx,
    op: OpRt,
    where: RootCause,
    slowedBy: LiveFault[],
    self0: number,
    self: number,
    wait: number,
    u: number,
    v: number,
  ): void {
    const s = op.service.index;
    const rho0 = ctx.rho0[s];
    const wait0 = waitOf(rho0, op.latency.meanUs, u, v);
    // The spike's share of the wait: the queue at the spiked utilization, before any CPU fault's own.
    const spikedWait = ctx.spike !== undefined ? waitOf(ctx.rho[s], op.latency.meanUs, u, v) : 0;
    const spiked = spikedWait > wait0;
    if (slowedBy.length === 0 && !spiked) return;
    const beyond = this.normal.changed(op, rho0, self0 + wait0, self + wait);
    for (const lf of slowedBy) {
      if (beyond) touchFault(ctx, lf, where);
      else ctx.withinNormal.add(lf);
    }
    if (spiked) {
      const ep = ctx.spike!.rt.endpoint?.op ?? op;
      const load = { service: ep.service.name, operation: ep.name };
      if (beyond) touchFault(ctx, ctx.spike!, { ...where, load }, spikedWait - wait0);
      else ctx.withinNormal.add(ctx.spike!);
    }
  }

  private local(
    ctx: TraceCtx,
    inst: InstanceRt,
    parent: number,
    name: string,
    lat: LatencyRt,
    start: number,
    dropped: boolean,
  ): { end: number; error: boolean } {
    const r = recordSpan(ctx, parent, inst, name, 'internal', Math.round(start), {}, dropped);
    r.dur = Math.max(1, Math.round(sampleLatency(ctx.rng, lat)));
    return { end: start + r.dur, error: false };
  }

  /** A call as the caller's code makes it: condition, loop, N+1 and defect faults, retries. Times relative to the caller. */
  private call(
    ctx: TraceCtx,
    caller: OpRt,
    inst: InstanceRt,
    parent: number,
    call: CallRt,
    start: number,
    dropped: boolean,
  ): { end: number; error: boolean } {
    const rng = ctx.rng;
    const c = call.def;
    if (c.p !== undefined && !rng.chance(c.p)) return { end: start, error: false };
    if (c.when && !ctx.flags.has(c.when)) return { end: start, error: false };
    if (c.unless && ctx.flags.has(c.unless)) return { end: start, error: false };
    let target = call.target;
    let n = c.repeat ? rng.intBetween(c.repeat[0], c.repeat[1]) : 1;
    let concurrent = c.concurrent ?? false;
    let retries = c.retries ?? 0;
    let storm = false;
    for (const lf of ctx.live) {
      const f = lf.rt;
      if (f.spec.type === 'n-plus-one' && f.op === caller && f.call === target) {
        n = Math.max(n, Math.round(f.spec.intensity));
        concurrent = false;
        touchFault(ctx, lf, { service: caller.service.name, operation: caller.name, instance: inst.name });
      } else if (
        f.spec.type === 'structure' &&
        f.op === caller &&
        f.call === target &&
        f.add &&
        rng.chance(f.spec.intensity)
      ) {
        target = f.add;
        touchFault(ctx, lf, { service: caller.service.name, operation: caller.name, instance: inst.name });
      } else if (f.spec.type === 'retry-storm' && f.service && target.reaches.has(f.service.name)) {
        retries = Math.max(retries, 3);
        storm = true;
      }
    }
    let cursor = start;
    let end = start;
    let error = false;
    for (let i = 0; i < n; i++) {
      const s = concurrent ? start + i * rng.exponential(60) : cursor;
      const r =
        call.via === 'cache'
          ? this.cacheCall(ctx, caller, inst, parent, call, target, s, dropped)
          : this.withRetries(ctx, inst, parent, call, target, s, retries, storm, dropped);
      if (r.end > end) end = r.end;
      cursor = r.end;
      if (r.error) error = true;
    }
    return { end, error: error && !c.optional };
  }

  private withRetries(
    ctx: TraceCtx,
    inst: InstanceRt,
    parent: number,
    call: CallRt,
    target: OpRt,
    start: number,
    retries: number,
    storm: boolean,
    dropped: boolean,
  ): { end: number; error: boolean } {
    let t = start;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const r = this.attempt(ctx, inst, parent, call, target, t, dropped);
      t = r.end;
      if (!r.error) return { end: t, error: false };
      if (attempt < retries)
        t += storm ? ctx.rng.exponential(200) : ctx.rng.exponential(10_000) * 2 ** attempt;
    }
    return { end: t, error: true };
  }

  /** Reads a cache; on a miss or a failure falls back to the database and fills the cache. */
  private cacheCall(
    ctx: TraceCtx,
    caller: OpRt,
    inst: InstanceRt,
    parent: number,
    call: CallRt,
    target: OpRt,
    start: number,
    dropped: boolean,
  ): { end: number; error: boolean } {
    const rng = ctx.rng;
    let failing: LiveFault | undefined;
    for (const lf of ctx.live)
      if (
        lf.rt.spec.type === 'cache-failure' &&
        lf.rt.service === target.service &&
        rng.chance(lf.rt.spec.intensity)
      )
        failing = lf;
    let t: number;
    if (failing) {
      touchFault(ctx, failing, { service: target.service.name, operation: target.name });
      const r = recordSpan(
        ctx,
        parent,
        inst,
        target.name,
        'client',
        Math.round(start),
        protocolAttrs('cache', target, true),
        dropped,
      );
      r.dur = Math.max(1, Math.round(rng.logNormal(1500, 0.3)));
      markStatus(r, true, 'connection refused');
      t = start + r.dur;
    } else {
      const r = this.attempt(ctx, inst, parent, call, target, start, dropped);
      t = r.end;
      if (r.error || !rng.chance(call.def.missRate ?? 0)) return { end: t, error: r.error && !call.fallback };
    }
    if (!call.fallback) return { end: t, error: true };
    const fbVia = call.fallback.service.def.kind === 'db' ? 'db' : 'rpc';
    const fb = this.withRetries(
      ctx,
      inst,
      parent,
      { ...call, via: fbVia },
      call.fallback,
      t,
      0,
      false,
      dropped,
    );
    t = fb.end;
    if (call.fill && !fb.error) {
      if (failing) {
        const r = recordSpan(
          ctx,
          parent,
          inst,
          call.fill.name,
          'client',
          Math.round(t),
          protocolAttrs('cache', call.fill, true),
          dropped,
        );
        r.dur = Math.max(1, Math.round(rng.logNormal(1500, 0.3)));
        markStatus(r, true, 'connection refused');
        t += r.dur;
      } else t = this.attempt(ctx, inst, parent, call, call.fill, t, dropped).end;
    }
    return { end: t, error: fb.error };
  }

  /** One client span and the server span it reaches (or a producer span and its consumer). */
  private attempt(
    ctx: TraceCtx,
    inst: InstanceRt,
    parent: number,
    call: CallRt,
    target: OpRt,
    start: number,
    dropped: boolean,
  ): { end: number; error: boolean } {
    const rng = ctx.rng;
    const from = inst.service;
    const callee = rng.pick(target.service.instances);
    if (call.via === 'async') {
      const attrs: Attributes = {
        'messaging.system': 'kafka',
        'messaging.destination': call.def.topic ?? target.service.name,
      };
      const p = recordSpan(
        ctx,
        parent,
        inst,
        `${call.def.topic ?? target.service.name} publish`,
        'producer',
        Math.round(start),
        attrs,
        dropped,
      );
      p.dur = Math.max(1, Math.round(rng.logNormal(400, 0.4)));
      const pIndex = ctx.recs.length - 1;
      const delay = Math.round(p.dur + rng.exponential(3000 * (1 + 4 * ctx.rho[target.service.index])));
      this.runOp(ctx, target, callee, pIndex, 'consumer', delay, 'async');
      return { end: start + p.dur, error: false };
    }
    let netOut = rng.logNormal(250, 0.35);
    let netBack = rng.logNormal(200, 0.35);
    for (const lf of ctx.live) {
      const f = lf.rt;
      if (f.spec.type === 'network' && f.from === from && f.to === target.service) {
        netOut += f.spec.intensity * 1000 * rng.logNormal(1, 0.15);
        netBack += f.spec.intensity * 1000 * rng.logNormal(1, 0.15);
        touchFault(ctx, lf, {
          service: target.service.name,
          operation: target.name,
          instance: callee.name,
          edge: { from: from.name, to: target.service.name },
        });
      }
    }
    netOut = Math.round(netOut);
    const client = recordSpan(
      ctx,
      parent,
      inst,
      target.name,
      'client',
      Math.round(start),
      protocolAttrs(call.via, target, true),
      dropped,
    );
    const cIndex = ctx.recs.length - 1;
    const server = this.runOp(ctx, target, callee, cIndex, 'server', netOut, call.via);
    let dur = netOut + server.dur + Math.round(netBack);
    let error = server.error;
    let msg: string | undefined = error ? 'server error' : undefined;
    const timeout = call.def.timeoutMs;
    if (timeout !== undefined && dur > timeout * 1000) {
      dur = Math.round(timeout * 1000);
      error = true;
      msg = 'DEADLINE_EXCEEDED';
    }
    client.dur = dur;
    markStatus(client, error, msg);
    return { end: start + dur, error };
  }
}
