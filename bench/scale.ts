/**
 * Scaling out: 1, 2 and 3 service processes sharing one private Redis, the first running every role and the
 * others only workers, fed as the recommended deployment feeds them: OTLP protobuf pushed to the first
 * (bench/push.ts), or with BENCH_SCALE_PATH=poll the simulator's Jaeger API polled (bench/service.ts). Per
 * process count: spans scored per CPU-second summed over the service processes (Redis, the simulator and the
 * sender not counted) and spans per second from the first request (or search) until every trace is scored.
 * Process counts take turns within each round so that the machine's load falls on all of them alike; the
 * figures are medians over the rounds. Equal spans per CPU-second for 1, 2 and 3 processes means that adding
 * a process adds its whole core's worth of throughput, which a 2-core machine can show where wall-clock
 * throughput cannot go past two. Beside them, the machine's own ratio for a CPU-bound reference in as many
 * processes (cpu-reference.ts): where that holds at 1 and ours falls, the loss is in our code, not the cores.
 */
import { median } from '../src/detectors/median.js';
import { runServiceBench, type ServiceBenchOptions } from './service.js';
import { runPushBench } from './push.js';
import { referencePerCpuSecond } from './cpu-reference.js';

/**
 * Push: the same work per process at every count (weak scaling). A process's first few thousand traces
 * run slower than its later ones (the JIT is still compiling: 1 process scored 2,700 traces at ~24k spans
 * per CPU-second and 8,000 at ~31k), so splitting a fixed total over more processes would count warm-up as
 * scaling loss. Warm-up is scored before the clock in jobs of 500, two per process, so that each worker is
 * likely to have warmed.
 */
const PUSH_TRACES_PER_PROCESS = 6000;
const PUSH_WARM_PER_PROCESS = 1000;

export interface ScaleBenchOptions extends Omit<ServiceBenchOptions, 'processes' | 'runs'> {
  rounds?: number;
  processCounts?: number[];
  path?: 'push' | 'poll';
}

export async function runScaleBench(opts: ScaleBenchOptions = {}): Promise<Record<string, number | string>> {
  const { rounds = 3, processCounts = [1, 2, 3], ...rest } = opts;
  const path = opts.path ?? (process.env.BENCH_SCALE_PATH === 'poll' ? 'poll' : 'push');
  // Polling: throughput is measured on the backlog (two minutes of traffic). A low offered rate afterwards, which one
  // process keeps up with even on a loaded machine, and a short steady phase: delays are the service bench's.
  const settings: ServiceBenchOptions = { rate: 50, backlogS: 120, steadyS: 5, ...rest, runs: 1 };
  const perCpu = new Map<number, number[]>(processCounts.map((n) => [n, []]));
  const perS = new Map<number, number[]>(processCounts.map((n) => [n, []]));
  const reference = new Map<number, number[]>(processCounts.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++)
    for (const n of processCounts) {
      opts.log?.(`scale: round ${round + 1}, ${n} process${n > 1 ? 'es' : ''}`);
      const r =
        path === 'push'
          ? await runPushBench({
              processes: n,
              runs: 1,
              traces: PUSH_TRACES_PER_PROCESS * n,
              warmTraces: PUSH_WARM_PER_PROCESS * n,
              parts: 'scored',
              log: opts.log,
            })
          : await runServiceBench({ ...settings, processes: n });
      perCpu.get(n)!.push(Number(r.spansPerCpuSecond));
      perS.get(n)!.push(Number(r.spansPerSecond));
      reference.get(n)!.push(await referencePerCpuSecond(n));
    }
  const out: Record<string, number | string> = { path, rounds };
  if (path === 'poll') out.offeredTracesPerS = settings.rate!;
  const base = median(perCpu.get(processCounts[0])!);
  const referenceBase = median(reference.get(processCounts[0])!);
  for (const n of processCounts) {
    const m = median(perCpu.get(n)!);
    out[`spansPerCpuSecond_${n}`] = Math.round(m);
    out[`spansPerCpuSecond_${n}_runs`] = perCpu.get(n)!.map(Math.round).join(', ');
    out[`perCpuAgainst_${processCounts[0]}_${n}`] = m / base;
    out[`spansPerSecond_${n}`] = Math.round(median(perS.get(n)!));
    out[`referencePerCpuAgainst_${processCounts[0]}_${n}`] = median(reference.get(n)!) / referenceBase;
  }
  return out;
}
