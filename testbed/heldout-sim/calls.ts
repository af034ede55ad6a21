/**
 * Calls between pods as the wire sees them: a client span, the network each way, the callee's server span
 * (late when the callee's pod is paused or its queue is long), databases and external APIs with client spans
 * only, and Kafka messages consumed after a lag.
 */
import type { AttrValue, Instance, SimSpan } from './model.js';
import { SpanCtx, grpcCodeName, type Handler, type Outcome } from './span-ctx.js';
import { ms } from './trace-builder.js';
import {
  dbClient,
  grpcAttrs,
  grpcServerAttrs,
  hostOf,
  httpClient,
  httpServer,
  httpStatusKey,
  messagingAttrs,
  type DbSystem,
} from './semconv.js';

/** Share of calls whose first attempt meets a pod that is going away (a rollout, a rescheduled pod). */
const RESET_P = 0.0015;
/** Share of network legs that lose a segment and wait for Linux's minimum retransmission timeout. */
const RETRANSMIT_P = 0.0003;

type Attrs = Record<string, AttrValue>;

/** One-way delay between two pods, with any link fault on the way. */
function network(ctx: SpanCtx, from: Instance, to: Instance): number {
  const rng = ctx.rng;
  let us = from.node === to.node ? rng.logNormal(70, 0.4) : rng.logNormal(190, 0.45);
  if (rng.chance(RETRANSMIT_P)) us += 200_000 + rng.between(0, 4000);
  const f = ctx.tb.world.faults.linkDelay(from.service, to.service, ctx.now, rng);
  if (f) {
    ctx.tb.effect(f.id, f.link, `${ms(f.us)} ms added on the link ${from.service} -> ${to.service}`);
    us += f.us;
  }
  return us;
}

interface Target {
  service: string;
  /** Operation name faults are keyed by. */
  operation: string;
  protocol: 'grpc' | 'http';
  client: { name: string; attrs: Attrs };
  server: { name: string; attrs: Attrs };
}

/** The callee's server span: starts when its pod reads the request, ends when the handler returns. */
function serve(
  caller: SpanCtx,
  t: Target,
  parent: SimSpan,
  arrive: number,
  podIndex: number,
  h: Handler,
): SpanCtx {
  const tb = caller.tb;
  const inst = tb.world.pods(t.service)[podIndex];
  const spec = tb.world.spec(t.service);
  const read = tb.world.stallsOf(inst).run(arrive, 0);
  for (const s of read.waited)
    if (s.faultId)
      tb.effect(
        s.faultId,
        t.service,
        `a request waited ${ms(read.end - arrive)} ms for ${inst.pod} to read it`,
      );
  const stall = tb.world.faults.stallFault(t.service, arrive);
  if (stall) tb.passed.add(stall);
  // Requests queue for a worker (a thread, the event loop) before instrumentation sees them, except in Go,
  // where each request gets its goroutine at once and contention shows inside the span instead.
  const rho = tb.world.utilization(t.service, arrive);
  const queued = tb.rng.chance(rho) ? tb.rng.exponential((400 * rho) / (1 - rho)) : 0;
  const start = read.end + (spec.runtime === 'go' ? 0 : queued);
  const span = tb.span(parent, t.server.name, 'server', start, inst, { ...t.server.attrs });
  const ctx = new SpanCtx(tb, span, spec, podIndex, t.operation, t.protocol);
  if (spec.runtime === 'go') ctx.now += queued;
  h(ctx);
  span.end = ctx.now;
  if (t.protocol === 'grpc') span.attributes['rpc.grpc.status_code'] = ctx.code;
  else span.attributes[httpStatusKey(spec)] = ctx.code;
  return ctx;
}

function clientFails(
  ctx: SpanCtx,
  t: Target,
  span: SimSpan,
  code: number,
  message: string,
  type: string,
): void {
  ctx.child(span, t.protocol).fail(code, message, type);
}

/** A first attempt that dies on a connection reset, then the client's backoff. */
function resetAttempt(ctx: SpanCtx, t: Target, parent: SimSpan): void {
  const span = ctx.tb.span(parent, t.client.name, 'client', ctx.now, ctx.inst, { ...t.client.attrs });
  span.end = ctx.now + ctx.rng.between(400, 3000);
  if (t.protocol === 'grpc') span.attributes['rpc.grpc.status_code'] = 14;
  clientFails(ctx, t, span, 14, 'read ECONNRESET', 'ECONNRESET');
  ctx.now = span.end + ctx.rng.between(10_000, 40_000);
}

function call(ctx: SpanCtx, t: Target, h: Handler): Outcome {
  const tb = ctx.tb;
  const parent = ctx.span;
  if (ctx.rng.chance(RESET_P)) resetAttempt(ctx, t, parent);
  const span = tb.span(parent, t.client.name, 'client', ctx.now, ctx.inst, { ...t.client.attrs });
  const refused = tb.world.faults.refused(t.service, ctx.now, ctx.rng);
  if (refused?.refused) {
    span.end = ctx.now + ctx.rng.between(300, 1500);
    const addr = `${hostOf(t.service)}:${tb.world.spec(t.service).port}`;
    if (t.protocol === 'grpc') span.attributes['rpc.grpc.status_code'] = 14;
    clientFails(ctx, t, span, 14, `connect ECONNREFUSED ${addr}`, 'ECONNREFUSED');
    tb.effect(refused.id, t.service, `the connection to ${t.service} was refused`);
    ctx.now = span.end;
    return { ok: false, code: t.protocol === 'grpc' ? 14 : 503 };
  }
  if (refused) tb.passed.add(refused.id);
  const podIndex = Math.floor(ctx.rng.uniform() * tb.world.pods(t.service).length);
  const callee = tb.world.pods(t.service)[podIndex];
  const sent = ctx.now + ctx.rng.between(15, 70);
  const server = serve(ctx, t, span, sent + network(ctx, ctx.inst, callee), podIndex, h);
  ctx.now = server.now + network(ctx, callee, ctx.inst);
  span.end = ctx.now = ctx.waitStalls(ctx.now, ctx.rng.between(15, 70));
  const code = server.code;
  if (t.protocol === 'grpc') span.attributes['rpc.grpc.status_code'] = code;
  else span.attributes[httpStatusKey(ctx.spec)] = code;
  const ok = t.protocol === 'grpc' ? code === 0 : code < 400;
  if (!ok) {
    ctx
      .child(span, t.protocol)
      .fail(
        code,
        t.protocol === 'grpc' ? `${grpcCodeName(code)}: ${server.span.statusMessage ?? ''}` : `HTTP ${code}`,
      );
  }
  return { ok, code };
}

export function grpc(ctx: SpanCtx, service: string, rpcService: string, method: string, h: Handler): Outcome {
  const port = ctx.tb.world.spec(service).port;
  const name = `${rpcService}/${method}`;
  return call(
    ctx,
    {
      service,
      operation: method,
      protocol: 'grpc',
      client: { name, attrs: grpcAttrs(ctx.spec, rpcService, method, service, port) },
      server: { name, attrs: grpcServerAttrs(rpcService, method) },
    },
    h,
  );
}

export function http(
  ctx: SpanCtx,
  service: string,
  method: string,
  route: string,
  path: string,
  h: Handler,
  userAgent = 'node',
): Outcome {
  const spec = ctx.tb.world.spec(service);
  const url = `${spec.port === 8443 ? 'https' : 'http'}://${hostOf(service)}:${spec.port}${path}`;
  return call(
    ctx,
    {
      service,
      operation: route,
      protocol: 'http',
      client: httpClient(ctx.spec, method, url),
      server: httpServer(spec, method, route, path, userAgent),
    },
    h,
  );
}

/** A call to an API outside the cluster: only our client span exists. */
export function external(
  ctx: SpanCtx,
  method: string,
  url: string,
  medianMs: number,
  failRate = 0.002,
): Outcome {
  const { name, attrs } = httpClient(ctx.spec, method, url);
  const span = ctx.tb.span(ctx.span, name, 'client', ctx.now, ctx.inst, attrs);
  const code = ctx.rng.chance(failRate) ? ctx.rng.pick([502, 503, 504]) : 200;
  span.end = ctx.now = ctx.waitStalls(ctx.now, ctx.rng.heavyTailed(medianMs * 1000, 0.45, 0.02));
  attrs[httpStatusKey(ctx.spec)] = code;
  if (code >= 400) {
    span.status = 'error';
    span.statusMessage = `HTTP ${code}`;
    attrs['error.type'] = String(code);
  }
  return { ok: code < 400, code };
}

/** A database query: a client span whose time is the round trip and the server's work. */
export function db(
  ctx: SpanCtx,
  system: DbSystem,
  address: string,
  operation: string,
  collection: string | undefined,
  query: string,
  medianMs: number,
): void {
  const { name, attrs } = dbClient(ctx.spec, system, address, operation, collection, query);
  const span = ctx.tb.span(ctx.span, name, 'client', ctx.now, ctx.inst, attrs);
  const rtt = 2 * ctx.rng.logNormal(200, 0.4);
  let work = ctx.rng.heavyTailed(medianMs * 1000, 0.5, 0.02) * (1 + ctx.rho ** 2);
  const f = ctx.tb.world.faults.db(address, ctx.now);
  if (f) {
    const slow = work * f.factor + f.addMs * 1000;
    ctx.tb.effect(
      f.id,
      ctx.spec.name,
      `${name} on ${address} took ${ms(slow + rtt)} ms instead of ${ms(work + rtt)} ms`,
    );
    work = slow;
  }
  span.end = ctx.now = ctx.waitStalls(ctx.now, rtt + work);
}

export interface Consumer {
  service: string;
  group: string;
  handler: Handler;
}

/** Publishes one Kafka message (waiting for the broker's ack); each consumer group processes it after a lag. */
export function produce(ctx: SpanCtx, topic: string, key: string, consumers: readonly Consumer[]): void {
  const tb = ctx.tb;
  const partition = Number.parseInt(key.slice(-4), 36) % 12;
  const offset = Math.floor((ctx.now - tb.world.start) / 9000) + partition * 1e6;
  const span = tb.span(
    ctx.span,
    `send ${topic}`,
    'producer',
    ctx.now,
    ctx.inst,
    messagingAttrs('send', topic, key, partition),
  );
  span.end = ctx.now = ctx.waitStalls(ctx.now, ctx.rng.logNormal(2500, 0.5) * (1 + ctx.rho));
  for (const c of consumers) {
    const pods = tb.world.pods(c.service);
    const podIndex = partition % pods.length;
    const inst = pods[podIndex];
    const spec = tb.world.spec(c.service);
    const lag = ctx.rng.logNormal(8000, 0.9) * (1 + 3 * tb.world.utilization(c.service, span.end) ** 2);
    const start = tb.world.stallsOf(inst).run(span.end + lag, 0).end;
    const attrs = messagingAttrs('process', topic, key, partition, {
      'messaging.consumer.group.name': c.group,
      'messaging.kafka.offset': offset,
    });
    const cs = tb.span(span, `process ${topic}`, 'consumer', start, inst, attrs);
    const cctx = new SpanCtx(tb, cs, spec, podIndex, `process ${topic}`, 'none');
    c.handler(cctx);
    cs.end = cctx.now;
  }
}
