/**
 * The push path end to end: one Tracehound process (API with its OTLP listeners, workers, schedulers) on a
 * private redis-server (AOF, fsync every second), a model trained beforehand and published per endpoint,
 * and a client sending OTLP protobuf as a Collector's batch processor does (requests of about `batchSpans`
 * spans, whole traces, grouped by resource, several in flight) over OTLP/HTTP (`POST /v1/traces` on the
 * OTLP port) or OTLP/gRPC. Each run measures spans/s from the first request until every trace is scored
 * (counted in the traffic aggregates, anomalies stored), and spans per CPU-second of the service process
 * over the same time: the figure that holds on a loaded machine. The clock starts once 4,000 other traces
 * (a warm-up) are scored, so model loading and compilation stay out, as in a service that has been running:
 * after 500 the JIT was still compiling (10,000 traces then ran at ~27k spans per CPU-second, against ~31k
 * after 4,000). Medians over the runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { generate, getScenario, scenarioEndpoints, type Scenario } from '../src/sim/index.js';
import { generateStream } from '../src/sim/generate.js';
import { normalizeTrace } from '../src/trace/normalize.js';
import type { Span } from '../src/trace/span.js';
import { trainModelSet } from '../src/scoring/train.js';
import type { ModelSet } from '../src/scoring/model-set.js';
import { ModelRegistry } from '../src/registry/redis-registry.js';
import { TraceReservoir } from '../src/store/reservoir.js';
import type { Trace } from '../src/trace/trace.js';
import { TRAFFIC_KEY } from '../src/store/aggregates.js';
import { globalIndex } from '../src/store/anomaly-keys.js';
import { freePort, startRedis } from '../src/app/private-redis.js';
import { encodeOtlpProto } from '../src/formats/otlp-proto.js';
import { toOtlpResourceSpans } from '../src/formats/write/otlp-json.js';
import { TRACE_SERVICE } from '../src/api/otlp-grpc.js';
import { median } from '../src/detectors/median.js';
import { cpuSeconds, redisCpu, stopProcesses } from './service.js';

export interface PushBenchOptions {
  runs?: number;
  /** Traces sent per run (the shop averages 23 spans a trace). */
  traces?: number;
  /** Spans per request, about: whole traces are packed until the next would pass it. */
  batchSpans?: number;
  /** Requests in flight at once (a Collector exporter's sending queue consumers). */
  inFlight?: number;
  protocol?: 'http' | 'grpc';
  /** Seconds a trace must be quiet before it is scored (TRACEHOUND_POLL_SETTLE). */
  settleS?: number;
  /** Service processes: the first receives and runs every role, the others are extra workers (default 1). */
  processes?: number;
  /** Traces scored before the clock starts, so model loading and compilation stay out (default 4,000). */
  warmTraces?: number;
  /** Which parts run: `scored` (request to scored), `intake` (request to span buffer); default both. */
  parts?: string;
  log?: (line: string) => void;
}

/** The shop with cartservice failing 5% of GetCart calls all along: anomalies at every moment. */
function benchScenario(): Scenario {
  const base = getScenario('shop-errors');
  return {
    ...base,
    name: 'shop-errors-steady',
    workload: { ...base.workload, rate: 400 },
    faults: base.faults.map((f) => ({ ...f, startS: 0, endS: 1e7, intensity: 0.05 })),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Payloads {
  bodies: Buffer[];
  traces: number;
  spans: number;
}

/**
 * The requests, encoded before the clock starts: the simulator's traces moved to end a minute ago (inside
 * the receiver's window), packed whole into requests of about `batchSpans` spans.
 */
function payloads(traces: number, batchSpans: number, seed = 7): Payloads {
  const startUs = (Date.now() - 60_000) * 1000 - Math.round((traces / 400) * 1e6);
  const run = generateStream(benchScenario(), { seed, traces, startUs });
  const bodies: Buffer[] = [];
  let batch: Span[] = [];
  let spans = 0;
  const send = () => {
    bodies.push(Buffer.from(encodeOtlpProto({ resourceSpans: toOtlpResourceSpans(batch) })));
    batch = [];
  };
  for (const t of run.traces) {
    if (batch.length > 0 && batch.length + t.spans.length > batchSpans) send();
    for (const s of t.spans) batch.push(s);
    spans += t.spans.length;
  }
  if (batch.length > 0) send();
  return { bodies, traces, spans };
}

type Sender = { send(body: Buffer): Promise<'ok' | 'retry'>; close(): void };

function httpSender(port: number): Sender {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return {
    send: (body) =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/v1/traces',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              if (res.statusCode === 200) resolve('ok');
              else if (res.statusCode === 503 || res.statusCode === 429) resolve('retry');
              else
                reject(
                  new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`),
                );
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

function grpcSender(port: number): Sender {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const bytes = (b: Buffer) => b;
  const def = TRACE_SERVICE.Export;
  return {
    send: (body) =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest(def.path, bytes, bytes, body, (err) => {
          if (!err) resolve('ok');
          else if (err.code === grpc.status.UNAVAILABLE) resolve('retry');
          else reject(err);
        }),
      ),
    close: () => client.close(),
  };
}

/** Sends every body with `inFlight` requests at once; a refused one (buffer full) is sent again shortly. */
async function sendAll(sender: Sender, bodies: Buffer[], inFlight: number): Promise<number> {
  let next = 0;
  let retries = 0;
  const lane = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      while ((await sender.send(bodies[i])) === 'retry') {
        retries++;
        await sleep(200);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return retries;
}

interface RunResult {
  spansPerSecond: number;
  spansPerCpuSecond: number;
  sendSeconds: number;
  totalSeconds: number;
  serviceCpu: number;
  redisCpu: number;
  anomalies: number;
  retries: number;
}

async function startChild(env: NodeJS.ProcessEnv, roles: string): Promise<ChildProcess> {
  const entry = fileURLToPath(new URL('./service-child.ts', import.meta.url));
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the service process.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry, roles], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr = (stderr + String(c)).slice(-3000)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c) => String(c).includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`service exited (${code}):\n${stderr}`)));
  });
  return child;
}

/**
 * Reservoirs as a service that has run for an hour has them: full, after an hour of this traffic (400
 * traces/s over the shop's endpoints), so that an offer is kept with the odds it then has (a few percent),
 * not with the certainty of a reservoir still filling, which wrote every normal trace to Redis and cost
 * about a tenth of the bench's allocations.
 */
async function steadyReservoirs(redis: Redis, endpoints: string[], normal: readonly Trace[]): Promise<void> {
  const reservoir = new TraceReservoir(redis);
  await reservoir.addTraces(normal);
  const hour = Math.round((400 * 3600) / endpoints.length);
  for (const ep of endpoints) await reservoir.countSeen(ep, Math.max(0, hour - (await reservoir.seen(ep))));
}

async function oneRun(
  model: ModelSet,
  normal: readonly Trace[],
  endpoints: string[],
  p: Payloads,
  warm: Payloads,
  run: number,
  o: Required<Omit<PushBenchOptions, 'log' | 'runs' | 'traces' | 'batchSpans' | 'parts'>> & {
    log: (l: string) => void;
  },
  /** The API role alone: done once every trace is in the span buffer (what intake costs, without scoring). */
  intakeOnly = false,
): Promise<RunResult> {
  const redis = await startRedis({ appendfsync: 'everysec' });
  const admin = new Redis(redis.url);
  const children: ChildProcess[] = [];
  let sender: Sender | undefined;
  try {
    const registry = new ModelRegistry(admin);
    for (const ep of endpoints) await registry.activate(ep, await registry.publish(ep, model));
    await steadyReservoirs(admin, endpoints, normal);
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const env = {
      ...process.env,
      REDIS_URL: redis.url,
      HOST: '127.0.0.1',
      PORT: '0',
      TRACEHOUND_OTLP_HTTP_PORT: String(httpPort),
      TRACEHOUND_OTLP_GRPC_PORT: String(grpcPort),
      TRACEHOUND_POLL_SETTLE: String(o.settleS),
      TRACEHOUND_MIN_TRAINING_TRACES: '1000000000',
      TRACEHOUND_RETRAIN_CRON: '0 0 1 1 *',
      TRACEHOUND_LOG_LEVEL: 'warn',
      BENCH_TUNING: '{}',
    };
    children.push(await startChild(env, intakeOnly ? 'api' : 'api,worker,scheduler'));
    // Extra workers take settled traces from the same Redis, as workers scaled out behind receivers do.
    for (let i = 1; i < (intakeOnly ? 1 : o.processes); i++) children.push(await startChild(env, 'worker'));
    const serviceCpuNow = () => children.reduce((sum, c) => sum + cpuSeconds(c.pid!), 0);
    sender = o.protocol === 'grpc' ? grpcSender(grpcPort) : httpSender(httpPort);
    const scored = async () => {
      if (intakeOnly) return admin.zcard('th:{buf}:pending');
      let n = 0;
      for (const [f, v] of Object.entries(await admin.hgetall(TRAFFIC_KEY)))
        if (f.endsWith('|scored')) n += Number(v);
      return n;
    };
    // A running service has its models loaded and its code compiled: other traces first.
    await sendAll(sender, warm.bodies, o.inFlight);
    while ((await scored()) < warm.traces) await sleep(50);
    const cpu0 = serviceCpuNow();
    const redis0 = await redisCpu(admin);
    const t0 = Date.now();
    const retries = await sendAll(sender, p.bodies, o.inFlight);
    const sent = Date.now();
    const deadline = sent + 600_000;
    for (let n = await scored(); n < warm.traces + p.traces; n = await scored()) {
      if (Date.now() > deadline)
        throw new Error(`push bench: ${n} of ${p.traces} traces scored after 10 min`);
      await sleep(50);
    }
    const t1 = Date.now();
    const serviceCpu = serviceCpuNow() - cpu0;
    const r: RunResult = {
      spansPerSecond: p.spans / ((t1 - t0) / 1000),
      spansPerCpuSecond: p.spans / serviceCpu,
      sendSeconds: (sent - t0) / 1000,
      totalSeconds: (t1 - t0) / 1000,
      serviceCpu,
      redisCpu: (await redisCpu(admin)) - redis0,
      anomalies: await admin.zcard(globalIndex('time')),
      retries,
    };
    o.log(
      `push ${intakeOnly ? 'intake-only ' : ''}run ${run + 1} (${o.protocol}): ${p.spans} spans in ${p.bodies.length} requests sent in ` +
        `${r.sendSeconds.toFixed(1)} s (${retries} refused and resent), all ${p.traces} traces ${intakeOnly ? 'buffered' : 'scored'} after ` +
        `${r.totalSeconds.toFixed(1)} s: ${Math.round(r.spansPerSecond)} spans/s; service CPU ` +
        `${serviceCpu.toFixed(1)} s (${Math.round(r.spansPerCpuSecond)} spans per CPU-second), Redis CPU ` +
        `${r.redisCpu.toFixed(1)} s, ${r.anomalies} anomalies stored`,
    );
    return r;
  } finally {
    sender?.close();
    await stopProcesses(children);
    admin.disconnect();
    await redis.close();
  }
}

export async function runPushBench(opts: PushBenchOptions = {}): Promise<Record<string, number | string>> {
  const o = {
    runs: opts.runs ?? Number(process.env.BENCH_PUSH_RUNS ?? 3),
    traces: opts.traces ?? Number(process.env.BENCH_PUSH_TRACES ?? 10_000),
    batchSpans: opts.batchSpans ?? 1000,
    inFlight: opts.inFlight ?? 4,
    protocol: opts.protocol ?? (process.env.BENCH_PUSH_PROTOCOL as 'http' | 'grpc' | undefined) ?? 'http',
    settleS: opts.settleS ?? 2,
    processes: opts.processes ?? 1,
    warmTraces: opts.warmTraces ?? 4000,
    log: opts.log ?? (() => {}),
  };
  const normal = generate('shop-normal', { seed: 5, durationS: 300 }).traces.map((s) =>
    normalizeTrace(s[0].traceId, s),
  );
  const model = await trainModelSet(normal, { seed: 1 });
  const endpoints = scenarioEndpoints('shop-normal', { seed: 5, durationS: 60 });
  const p = payloads(o.traces, o.batchSpans);
  const warm = payloads(o.warmTraces, o.batchSpans, 8);
  const results: RunResult[] = [];
  const intake: RunResult[] = [];
  try {
    // BENCH_PUSH_PARTS=scored or =intake runs only that part.
    const parts = opts.parts ?? process.env.BENCH_PUSH_PARTS ?? 'scored,intake';
    for (let run = 0; run < o.runs && parts.includes('scored'); run++)
      results.push(await oneRun(model, normal, endpoints, p, warm, run, o));
    for (let run = 0; run < o.runs && parts.includes('intake'); run++)
      intake.push(await oneRun(model, normal, endpoints, p, warm, run, o, true));
  } finally {
    model.dispose();
  }
  const med = (f: (r: RunResult) => number) => median(results.map(f));
  return {
    protocol: o.protocol,
    processes: o.processes,
    traces: p.traces,
    spans: p.spans,
    requests: p.bodies.length,
    settleS: o.settleS,
    spansPerSecond: Math.round(med((r) => r.spansPerSecond)),
    spansPerSecondRuns: results.map((r) => Math.round(r.spansPerSecond)).join(', '),
    spansPerCpuSecond: Math.round(med((r) => r.spansPerCpuSecond)),
    spansPerCpuSecondRuns: results.map((r) => Math.round(r.spansPerCpuSecond)).join(', '),
    sendSeconds: med((r) => r.sendSeconds),
    totalSeconds: med((r) => r.totalSeconds),
    redisCpuSeconds: med((r) => r.redisCpu),
    // The API role alone, request to span buffer: what the push path costs before scoring.
    intakeSpansPerCpuSecond: Math.round(median(intake.map((r) => r.spansPerCpuSecond))),
    intakeSpansPerSecond: Math.round(median(intake.map((r) => r.spansPerSecond))),
    anomalies: med((r) => r.anomalies),
  };
}
