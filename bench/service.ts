/**
 * The service end to end on this machine: the simulator serving the Jaeger v1 API with a steady stream of a
 * shop whose cart fails now and then, Tracehound in a process of its own (API, workers, schedulers) polling
 * it with a private redis-server (AOF, fsync every second), a model trained beforehand, a local webhook
 * receiver. Each run measures:
 *   - throughput: the stream starts with a backlog; spans/s from the first search until every trace of the
 *     backlog is scored (anomalies stored, their webhooks queued);
 *   - delay: once caught up, from each anomalous trace becoming queryable in the source to its webhook
 *     arriving, p50 and p95;
 *   - the source's load: trace records its answers carried per distinct trace, for the backlog's traces
 *     and the steady window's (counted after a tail, so late re-reads are in);
 *   - completeness: the share of those traces scoring counted, so that fewer reads never hide missed traces.
 * The figures are medians over the runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { generate, getScenario, scenarioEndpoints, type Scenario } from '../src/sim/index.js';
import { normalizeTrace } from '../src/trace/normalize.js';
import { trainModelSet } from '../src/scoring/train.js';
import type { ModelSet } from '../src/scoring/model-set.js';
import { ModelRegistry } from '../src/registry/redis-registry.js';
import { WebhookStore } from '../src/webhooks/store.js';
import { globalIndex, recordKey } from '../src/store/anomaly-keys.js';
import { TRAFFIC_KEY, countedKey } from '../src/store/aggregates.js';
import { startRedis } from '../src/app/private-redis.js';
import type { ServiceTuning } from '../src/app/start.js';
import { BenchJaeger } from './sim-jaeger.js';
import { median } from '../src/detectors/median.js';

export interface ServiceBenchOptions {
  runs?: number;
  /** Service processes: the first runs every role, the others are extra workers (default 2, one per core). */
  processes?: number;
  /** Traces per second the source receives (the shop averages 23 spans a trace). */
  rate?: number;
  /** Seconds of traffic already in the source when the service starts. */
  backlogS?: number;
  /** Seconds of steady traffic the delay is measured over. */
  steadyS?: number;
  pollIntervalS?: number;
  settleS?: number;
  overlapS?: number;
  /**
   * Seconds waited after the steady window before the source's sends of its traces are counted, so that
   * every re-read of them (overlaps, sweeps) is in (default: ten poll intervals, the overlap and the settle).
   */
  tailS?: number;
  /**
   * A share of traces the source stores late, seconds after they end (default none; e.g. 1% at 6 s: past
   * the settle time and the least learned overlap, within the configured one), so that completeness shows
   * what the learned overlap costs.
   */
  late?: { share: number; delayS: number };
  tuning?: ServiceTuning;
  log?: (line: string) => void;
}

/** The shop with cartservice failing 5% of GetCart calls all along: anomalies at every moment. */
function benchScenario(rate: number): Scenario {
  const base = getScenario('shop-errors');
  return {
    ...base,
    name: 'shop-errors-steady',
    workload: { ...base.workload, rate },
    faults: base.faults.map((f) => ({ ...f, startS: 0, endS: 1e7, intensity: 0.05 })),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after 10 s; a profiled process writes its profile on exit, so it gets 2 minutes. */
export async function stopProcesses(children: ChildProcess[]): Promise<void> {
  const graceMs = process.env.BENCH_NODE_ARGS ? 120_000 : 10_000;
  await Promise.all(
    children
      .filter((c) => c.exitCode === null)
      .map(
        (c) =>
          new Promise<void>((r) => {
            const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
            c.once('exit', () => (clearTimeout(t), r()));
            c.kill('SIGTERM');
          }),
      ),
  );
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number, everyMs = 200) {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`service bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** User + system CPU seconds a process has used (Linux /proc; clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function redisCpu(r: Redis): Promise<number> {
  const info = await r.info('cpu');
  const v = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return v('used_cpu_user') + v('used_cpu_sys');
}

class Receiver {
  /** Trace id -> first arrival, epoch ms. */
  readonly arrivals = new Map<string, number>();
  private server?: Server;
  url = '';

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = Date.now();
        try {
          const id = (JSON.parse(Buffer.concat(chunks).toString()) as { data?: { traceId?: string } }).data
            ?.traceId;
          if (id && !this.arrivals.has(id)) this.arrivals.set(id, at);
        } catch {
          // Not ours; the bench counts only anomaly events.
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;
  }

  async close() {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

interface RunResult {
  spansPerSecond: number;
  /** Spans per second of the service process's own CPU time: the wall figure on a core of its own. */
  spansPerCpuSecond: number;
  backlogTraces: number;
  drainSeconds: number;
  delayP50: number;
  delayP95: number;
  delayed: number;
  undelivered: number;
  anomalyRate: number;
  /** Trace records the source sent per distinct trace: the backlog's traces, and the steady window's. */
  backlogSends: number;
  steadySends: number;
  /** Share of the source's traces that reached scoring (counted in the aggregates), backlog and steady. */
  backlogComplete: number;
  steadyComplete: number;
  allComplete: number;
}

/** Share of `ids` that scoring counted: each trace id is claimed in its start minute's counted set. */
async function scoredShare(admin: Redis, sim: BenchJaeger, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return NaN;
  const p = admin.pipeline();
  for (const id of ids) p.sismember(countedKey(sim.startUs.get(id)!), id);
  const replies = (await p.exec()) ?? [];
  return replies.filter(([, n]) => n === 1).length / ids.length;
}

/** Trace records the source sent for these traces, per trace. */
function sendsPer(sim: BenchJaeger, ids: readonly string[]): number {
  let n = 0;
  for (const id of ids) n += sim.sends.get(id) ?? 0;
  return n / Math.max(1, ids.length);
}

async function oneRun(
  model: ModelSet,
  run: number,
  o: Required<Omit<ServiceBenchOptions, 'tuning' | 'log'>> & Pick<ServiceBenchOptions, 'tuning' | 'log'>,
): Promise<RunResult> {
  const log = o.log ?? (() => {});
  const redis = await startRedis({ appendfsync: 'everysec' });
  const admin = new Redis(redis.url);
  const receiver = new Receiver();
  const sim = new BenchJaeger(benchScenario(o.rate), {
    seed: 100 + run,
    backfillS: o.backlogS,
    maxTraces: o.rate * (o.backlogS + o.steadyS + 120),
    late: o.late,
  });
  const children: ChildProcess[] = [];
  try {
    const registry = new ModelRegistry(admin);
    for (const ep of scenarioEndpoints('shop-normal', { seed: 5, durationS: 60 }))
      await registry.activate(ep, await registry.publish(ep, model));
    await receiver.start();
    const hooks = new WebhookStore(admin, { allowPrivate: true });
    // Every anomaly singly: the bench times each trace's own webhook. At most 1,000 a minute go out singly
    // (the API's cap), and the backlog's anomalies alone pass it, so the steady window gets a webhook of its
    // own (see below) whose minute starts unspent.
    const hook = () =>
      hooks.create({
        url: receiver.url,
        events: ['anomaly.detected'],
        anomalies: { mode: 'each', maxPerMinute: 1000 },
      });
    const backlogHook = await hook();
    await sim.start();

    const entry = fileURLToPath(new URL('./service-child.ts', import.meta.url));
    // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the service processes.
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const env = {
      ...process.env,
      REDIS_URL: redis.url,
      HOST: '127.0.0.1',
      PORT: '0',
      TRACEHOUND_JAEGER_URL: sim.url,
      TRACEHOUND_POLL_INTERVAL: String(o.pollIntervalS),
      TRACEHOUND_POLL_SETTLE: String(o.settleS),
      TRACEHOUND_POLL_OVERLAP: String(o.overlapS),
      TRACEHOUND_POLL_LIMIT: '1000',
      TRACEHOUND_WEBHOOK_ALLOW_PRIVATE: 'true',
      TRACEHOUND_MIN_TRAINING_TRACES: '1000000000',
      TRACEHOUND_RETRAIN_CRON: '0 0 1 1 *',
      BENCH_TUNING: JSON.stringify(o.tuning ?? {}),
    };
    // The first process runs every role; the others are extra workers sharing the Redis, as on many machines.
    for (let i = 0; i < o.processes; i++) {
      const roles = i === 0 ? 'api,worker,scheduler' : 'worker';
      const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry, roles], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (c) => (stderr = (stderr + String(c)).slice(-3000)));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (c) => String(c).includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`service exited (${code}):\n${stderr}`)));
      });
    }
    const cpu = () => children.reduce((a, c) => a + cpuSeconds(c.pid!), 0);

    // Throughput: the backlog in the source when the service started, measured while it drains (from a
    // tenth of it scored to nine tenths, so start-up and the tail stay out).
    sim.live.advance();
    const backlogTraces = sim.live.size;
    const backlogIds = [...sim.published.keys()];
    const scoredCount = async () => {
      const h = await admin.hgetall(TRAFFIC_KEY);
      let n = 0;
      for (const [f, v] of Object.entries(h)) if (f.endsWith('|scored')) n += Number(v);
      return n;
    };
    const mark = async (share: number) => {
      let n = 0;
      await until(
        `${share * 100}% of the backlog scored`,
        async () => (n = await scoredCount()) >= share * backlogTraces,
        900_000,
        50,
      );
      const own = process.cpuUsage();
      return {
        at: Date.now(),
        n,
        cpu: cpu(),
        redis: await redisCpu(admin),
        source: (own.user + own.system) / 1e6,
      };
    };
    const m0 = await mark(0.1);
    const sent0 = { traces: sim.tracesSent, bytes: sim.bytesSent, requests: sim.requests };
    const m1 = await mark(0.9);
    const reads = (sim.tracesSent - sent0.traces) / (m1.n - m0.n);
    log(
      `run ${run + 1}: the source sent each scored trace ${reads.toFixed(1)} times ` +
        `(${sim.requests - sent0.requests} searches, ${((sim.bytesSent - sent0.bytes) / 1e6).toFixed(0)} MB)`,
    );
    const seconds = (m1.at - m0.at) / 1000;
    const spans = [...sim.spanCount.values()];
    const meanSpans = spans.reduce((a, b) => a + b, 0) / spans.length;
    const scoredSpans = (m1.n - m0.n) * meanSpans;
    const spansPerSecond = scoredSpans / seconds;
    const serviceCpu = m1.cpu - m0.cpu;
    const spansPerCpuSecond = scoredSpans / serviceCpu;
    await mark(1);
    log(
      `run ${run + 1}: backlog ${backlogTraces} traces; ${m1.n - m0.n} scored in ${seconds.toFixed(1)} s: ` +
        `${Math.round(spansPerSecond)} spans/s; service CPU ${serviceCpu.toFixed(1)} s ` +
        `(${Math.round(spansPerCpuSecond)} spans per CPU-second), Redis CPU ${(m1.redis - m0.redis).toFixed(1)} s, ` +
        `source (this process) CPU ${(m1.source - m0.source).toFixed(1)} s`,
    );

    // Delay: anomalies of traces that became queryable once the service had caught up with the stream.
    const publishedBefore = (t: number) => {
      sim.live.advance();
      let n = 0;
      for (const at of sim.published.values()) if (at <= t) n++;
      return n;
    };
    const lagMs = (o.pollIntervalS + o.settleS + 1) * 1000;
    await until(
      `the service to catch up with ${o.rate} traces/s (it does not keep up: offer fewer)`,
      async () => (await scoredCount()) >= publishedBefore(Date.now() - lagMs),
      600_000,
      500,
    );
    await hooks.delete(backlogHook.id);
    await hook();
    const from = Date.now();
    await sleep(o.steadyS * 1000);
    const to = Date.now();
    const window = [...sim.published].filter(([, at]) => at >= from && at < to).map(([id]) => id);
    // Every trace of the window scored.
    await until('the window scored', async () => (await scoredCount()) >= publishedBefore(to), 600_000, 500);
    const stored = await admin.zcard(globalIndex('time'));
    const isStored = await Promise.all(window.map((id) => admin.exists(recordKey(id))));
    const anomalies = window.filter((_, i) => isStored[i] === 1);
    const anomalous = anomalies.length;
    // Every stored anomaly's webhook counts, however late: waited for (30 s at most), not cut off.
    await until(
      'the webhooks',
      async () => anomalies.every((id) => receiver.arrivals.has(id)),
      30_000,
      200,
    ).catch(() => undefined);
    // Late re-reads of the window's traces (an overlap, a sweep) are the source's cost too: waited for.
    await sleep(Math.max(0, to + o.tailS * 1000 - Date.now()));
    // Everything the source held up to the window's end: the start-up, before any lateness was learned, too.
    const held = [...sim.published].filter(([, at]) => at < to).map(([id]) => id);
    const [backlogComplete, steadyComplete, allComplete] = [
      await scoredShare(admin, sim, backlogIds),
      await scoredShare(admin, sim, window),
      await scoredShare(admin, sim, held),
    ];
    const backlogSends = sendsPer(sim, backlogIds);
    const steadySends = sendsPer(sim, window);
    log(
      `run ${run + 1}: the source sent each trace ${backlogSends.toFixed(2)} times in the backlog, ` +
        `${steadySends.toFixed(2)} in steady state; scored ${(100 * backlogComplete).toFixed(2)}% of the ` +
        `backlog, ${(100 * steadyComplete).toFixed(2)}% of the steady window, ` +
        `${(100 * allComplete).toFixed(2)}% of all ${held.length} traces the source held`,
    );
    const delays: number[] = [];
    let undelivered = 0;
    for (const id of anomalies) {
      const at = receiver.arrivals.get(id);
      if (at === undefined) undelivered++;
      else delays.push((at - sim.published.get(id)!) / 1000);
    }
    const r: RunResult = {
      spansPerSecond,
      spansPerCpuSecond,
      backlogTraces,
      drainSeconds: seconds,
      delayP50: percentile(delays, 0.5),
      delayP95: percentile(delays, 0.95),
      delayed: delays.length,
      undelivered,
      anomalyRate: anomalous / Math.max(1, window.length),
      backlogSends,
      steadySends,
      backlogComplete,
      steadyComplete,
      allComplete,
    };
    log(
      `run ${run + 1}: ${window.length} traces in ${o.steadyS} s steady, ${anomalous} anomalous (${stored} stored in all), ` +
        `webhook delay p50 ${r.delayP50.toFixed(2)} s p95 ${r.delayP95.toFixed(2)} s, ${undelivered} not delivered within 30 s`,
    );
    return r;
  } finally {
    await stopProcesses(children);
    await sim.close();
    await receiver.close();
    admin.disconnect();
    await redis.close();
  }
}

export async function runServiceBench(
  opts: ServiceBenchOptions = {},
): Promise<Record<string, number | string>> {
  const o = {
    runs: opts.runs ?? 3,
    processes: opts.processes ?? 2,
    rate: opts.rate ?? 400,
    backlogS: opts.backlogS ?? 60,
    steadyS: opts.steadyS ?? 30,
    pollIntervalS: opts.pollIntervalS ?? 5,
    settleS: opts.settleS ?? 2,
    overlapS: opts.overlapS ?? 5,
    tailS: 0,
    late: opts.late ?? { share: 0, delayS: 0 },
    tuning: opts.tuning,
    log: opts.log,
  };
  o.tailS = opts.tailS ?? 10 * o.pollIntervalS + o.overlapS + o.settleS;
  const normal = generate('shop-normal', { seed: 5, durationS: 300 });
  const model = await trainModelSet(
    normal.traces.map((s) => normalizeTrace(s[0].traceId, s)),
    { seed: 1 },
  );
  const results: RunResult[] = [];
  try {
    for (let run = 0; run < o.runs; run++) results.push(await oneRun(model, run, o));
  } finally {
    model.dispose();
  }
  const med = (f: (r: RunResult) => number) => median(results.map(f));
  return {
    offeredTracesPerS: o.rate,
    processes: o.processes,
    pollIntervalS: o.pollIntervalS,
    settleS: o.settleS,
    overlapS: o.overlapS,
    backlogTraces: med((r) => r.backlogTraces),
    spansPerSecond: Math.round(med((r) => r.spansPerSecond)),
    spansPerSecondRuns: results.map((r) => Math.round(r.spansPerSecond)).join(', '),
    spansPerCpuSecond: Math.round(med((r) => r.spansPerCpuSecond)),
    delayP50S: med((r) => r.delayP50),
    delayP95S: med((r) => r.delayP95),
    delayP95Runs: results.map((r) => r.delayP95.toFixed(2)).join(', '),
    delayedAnomalies: med((r) => r.delayed),
    undelivered: results.reduce((a, r) => a + r.undelivered, 0),
    anomalyRate: med((r) => r.anomalyRate),
    backlogSendsPerTrace: med((r) => r.backlogSends),
    steadySendsPerTrace: med((r) => r.steadySends),
    steadySendsRuns: results.map((r) => r.steadySends.toFixed(2)).join(', '),
    backlogComplete: med((r) => r.backlogComplete),
    steadyComplete: med((r) => r.steadyComplete),
    allComplete: med((r) => r.allComplete),
    completeMin: Math.min(...results.flatMap((r) => [r.backlogComplete, r.steadyComplete, r.allComplete])),
  };
}
