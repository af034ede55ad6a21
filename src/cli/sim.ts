/**
 * `tracehound sim`: list scenarios, write a scenario's traces and ground truth to files, push them as OTLP,
 * or serve them live behind the Jaeger and Zipkin query APIs (`sim serve`).
 */
import { writeFile } from 'node:fs/promises';
import { UsageError } from './user-error.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  formatFromPath,
  TraceFileWriter,
  truthPathFor,
  WRITE_FORMATS,
  type WriteFormat,
} from '../formats/write/index.js';
import { generateStream } from '../sim/generate.js';
import { OtlpPusher } from '../sim/push.js';
import { getScenario, listScenarios } from '../sim/scenarios.js';
import { startSimServer } from '../sim/server.js';
import type { Span } from '../trace/span.js';
import type { TraceTruth } from '../sim/faults.js';

function number(what: string, min: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${what} must be a number >= ${min}`);
    return n;
  };
}

function startOf(v: string): number {
  const ms = Date.parse(v);
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError(`not a date: ${v} (expected ISO 8601, e.g. 2024-03-05T12:00:00Z)`);
  return ms * 1000;
}

interface ServeFlags {
  scenario?: string;
  port: number;
  host: string;
  speed: number;
  seed?: number;
  backfill: number;
  maxTraces: number;
  push?: string;
}

interface SimFlags {
  list?: boolean;
  scenario?: string;
  out?: string;
  format?: WriteFormat;
  truth?: string;
  seed: number;
  duration?: number;
  traces?: number;
  start?: number;
  push?: string;
}

async function runFile(flags: SimFlags): Promise<void> {
  if (!flags.scenario)
    throw new UsageError('sim: give --scenario NAME (see `tracehound sim --list`) or --list');
  if (!flags.out && !flags.push) throw new UsageError('sim: give --out FILE (and/or --push URL)');
  if (!listScenarios().some((s) => s.name === flags.scenario))
    throw new UsageError(`sim: unknown scenario "${flags.scenario}" (see \`tracehound sim --list\`)`);
  const scenario = getScenario(flags.scenario);
  const format = flags.format ?? (flags.out ? formatFromPath(flags.out) : undefined) ?? 'jaeger-v1';
  const run = generateStream(scenario, {
    seed: flags.seed,
    durationS: flags.duration,
    traces: flags.traces,
    // A push is judged against the receiver's clock (spans a week old are refused): it ends now by default.
    startUs:
      flags.start ??
      (flags.push ? (Date.now() - (flags.duration ?? scenario.durationS) * 1000) * 1000 : undefined),
  });
  const writer = flags.out ? await TraceFileWriter.open(flags.out, format) : undefined;
  const pusher = flags.push ? new OtlpPusher(flags.push, { maxQueued: 4 }) : undefined;
  const truths: TraceTruth[] = [];
  let batch: Span[][] = [];
  let batchSpans = 0;
  let spans = 0;
  const t0 = performance.now();
  for (const t of run.traces) {
    truths.push(t.truth);
    spans += t.spans.length;
    await writer?.write(t.spans);
    if (pusher) {
      batch.push(t.spans);
      batchSpans += t.spans.length;
      if (batchSpans >= 5000) {
        await pusher.send(batch);
        batch = [];
        batchSpans = 0;
      }
    }
  }
  if (pusher && batch.length > 0) await pusher.send(batch);
  await writer?.close();
  const secs = (performance.now() - t0) / 1000;
  const truth = { ...run.done(), traces: truths };
  const truthPath = flags.truth ?? (flags.out ? truthPathFor(flags.out) : undefined);
  if (truthPath) await writeFile(truthPath, JSON.stringify(truth, null, 1) + '\n');
  const anomalous = truths.filter((t) => t.anomalous).length;
  process.stderr.write(
    `sim ${scenario.name}: ${truths.length} traces, ${spans} spans (${anomalous} anomalous) in ${secs.toFixed(1)}s` +
      (flags.out ? ` -> ${flags.out} (${format})` : '') +
      (truthPath ? `, truth -> ${truthPath}` : '') +
      (pusher ? `, pushed ${pusher.stats.sentSpans} spans to ${flags.push}` : '') +
      '\n',
  );
}

export function registerSimCommand(program: Command): Command {
  const sim = program
    .command('sim')
    .description('simulated microservice systems with injected faults and exact ground truth')
    .option('--list', 'print the scenarios, one a line, name first')
    .option('--scenario <name>', 'scenario to run (see --list)')
    .option(
      '--out <file>',
      'write traces here; NAME.jaeger.json, NAME.zipkin.json or NAME.otlp.json picks the format',
    )
    .addOption(
      new Option('--format <format>', 'output format (default: from the file name, else jaeger-v1)').choices([
        ...WRITE_FORMATS,
      ]),
    )
    .option('--truth <file>', 'ground truth file (default: NAME.truth.json beside --out)')
    .option('--seed <n>', 'random seed', number('--seed', 0), 1)
    .option(
      '--duration <seconds>',
      'simulated seconds (default: the scenario length)',
      number('--duration', 0),
    )
    .option('--traces <n>', 'stop after this many traces', number('--traces', 1))
    .option('--start <iso>', 'simulated start time (default 2024-03-05T12:00:00Z)', startOf)
    .option(
      '--push <url>',
      'also POST the traces as OTLP JSON to this URL (e.g. http://localhost:4318/v1/traces)',
    )
    .enablePositionalOptions()
    .action(async (flags: SimFlags) => {
      if (flags.list) {
        for (const s of listScenarios()) process.stdout.write(`${s.name}\t${s.description}\n`);
        return;
      }
      await runFile(flags);
    });

  sim
    .command('serve')
    .description(
      'serve a live stream of simulated traces behind the Jaeger (v1, api_v3) and Zipkin v2 query APIs',
    )
    .option('--scenario <name>', 'scenario to run (see sim --list); `demo` has faults on a timer')
    .option('--port <n>', 'port to listen on', number('--port', 0), 16686)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--speed <x>', 'simulated seconds per real second', number('--speed', 0.001), 1)
    .option('--seed <n>', 'random seed (default 1)', number('--seed', 0))
    .option(
      '--backfill <seconds>',
      'simulated seconds generated before the start',
      number('--backfill', 0),
      60,
    )
    .option('--max-traces <n>', 'traces kept in memory', number('--max-traces', 1), 20000)
    .option('--push <url>', 'also POST traces as OTLP JSON to this URL as they appear')
    .action(async (own: ServeFlags) => {
      // Unless the program parses options positionally, `sim` takes the options it shares with `serve`
      // wherever they appear: read them from either.
      const parent = sim.opts<SimFlags>();
      const scenario = own.scenario ?? parent.scenario;
      if (!scenario) throw new Error('sim serve: give --scenario NAME (see `tracehound sim --list`)');
      const server = await startSimServer({
        scenario,
        port: own.port,
        host: own.host,
        speed: own.speed,
        seed: own.seed ?? parent.seed,
        backfillS: own.backfill,
        maxTraces: own.maxTraces,
        push: own.push ?? parent.push,
        logger: false,
      });
      process.stderr.write(
        `sim serve ${scenario}: ${server.url} (Jaeger /api, /api/v3; Zipkin /api/v2; truth /sim/truth), speed ${own.speed}x\n`,
      );
      const stop = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  return sim;
}
