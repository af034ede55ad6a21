/**
 * How often the aggregate signals fire on fault-free traffic, and whether they fire on the faulty target of
 * each simulated fault. One configuration (the defaults of src/incidents/history-signals.ts) for all data.
 *
 *   npx tsx scripts/signal-alarms.ts [--data ../shared/datasets] [--sim-hours 2] [--skip-nezha] [--skip-sim]
 *     [--skip-faults] [--cache DIR] [-v]
 *
 * --cache keeps each run's scored aggregates (they depend on the data and the model, not on the signal
 * settings), so the signals can be measured again without scoring again.
 *
 * - Nezha TrainTicket, 2023-01-30 from 14:30 (faults end at 14:11): a model is trained on the first half of
 *   those hours, every trace is scored, and the signals of each half are counted per hour (the second half
 *   is out of sample for the model).
 * - The simulated shop without faults for --sim-hours, a model trained on 10 other minutes of it.
 * - The faulted hours of that day (11:39-14:30, 17 faults), same model: which faults a signal fires in.
 * - Every simulated fault scenario, run 25 minutes with the fault from minute 15 (the leak from minute 12) to
 *   22 so that signals have history: does a signal name the fault's target within the fault window?
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Aggregates } from '../src/traffic/minute-buckets.js';
import { minuteOf } from '../src/traffic/minute.js';
import type { Signal } from '../src/incidents/signal.js';
import { detectSignals } from '../src/incidents/history-signals.js';
import { readTraceFiles } from '../src/formats/read.js';
import { readNezhaFaults, type NezhaFault } from '../src/eval/nezha-data.js';
import { trainModelSet } from '../src/scoring/train.js';
import type { ModelSet } from '../src/scoring/model-set.js';
import { generate } from '../src/sim/generate.js';
import { getScenario, listScenarios } from '../src/sim/scenarios.js';
import type { FaultTarget } from '../src/sim/faults.js';
import { DEFAULT_START_US, type Scenario } from '../src/sim/scenario.js';
import { normalizeTrace } from '../src/trace/normalize.js';
import type { Trace } from '../src/trace/trace.js';
import { splitEndpoint } from '../src/traffic/service-graph.js';
import { splitEdgeKey } from '../src/trace/endpoint-key.js';
import { isoFromMicros } from '../src/trace/iso-time.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/datasets' },
    'sim-hours': { type: 'string', default: '2' },
    'skip-nezha': { type: 'boolean', default: false },
    'skip-faults': { type: 'boolean', default: false },
    'skip-sim': { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
    cache: { type: 'string' },
  },
});
const log = (s: string) => process.stderr.write(`${s}\n`);
const MIN = 60e6;

function perHour(signals: Signal[], hours: number) {
  const byKind: Record<string, number> = {};
  for (const s of signals) byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
  const minutes = new Set(signals.map((s) => s.minute)).size;
  return {
    hours: +hours.toFixed(2),
    signals: signals.length,
    perHour: +(signals.length / hours).toFixed(2),
    minutesWithSignals: minutes,
    minutesWithSignalsPerHour: +(minutes / hours).toFixed(2),
    byKind,
  };
}

function show(signals: Signal[]) {
  if (!args.verbose) return;
  for (const s of signals)
    log(`    ${isoFromMicros(s.minute)} ${s.kind} ${s.strength.toFixed(2)} ${s.evidence}`);
}

async function cached(name: string, build: () => Promise<Aggregates>): Promise<Aggregates> {
  const file = args.cache ? join(args.cache, `${name}.json`) : undefined;
  if (file && existsSync(file)) return Aggregates.fromJSON(JSON.parse(readFileSync(file, 'utf8')), file);
  const agg = await build();
  if (file) {
    mkdirSync(args.cache!, { recursive: true });
    writeFileSync(file, JSON.stringify(agg));
  }
  return agg;
}

function aggregateScored(model: ModelSet, traces: Trace[]): Aggregates {
  const agg = new Aggregates();
  for (let i = 0; i < traces.length; i += 2000) {
    const batch = traces.slice(i, i + 2000);
    agg.addBatch(batch, model.score(batch));
  }
  return agg;
}

async function scoreAndAggregate(train: Trace[], traces: Trace[]): Promise<Aggregates> {
  const model = await trainModelSet(train, { seed: 1 });
  try {
    return aggregateScored(model, traces);
  } finally {
    model.dispose();
  }
}

async function nezha() {
  const file = resolve(args.data, 'nezha-trainticket', 'traces_2023-01-30.csv.gz');
  const traces: Trace[] = [];
  await readTraceFiles([file], { preset: 'nezha' }, (t) => traces.push(t));
  const from = Date.UTC(2023, 0, 30, 14, 30) * 1000;
  const ff = traces.filter((t) => t.start >= from).sort((a, b) => a.start - b.start);
  const end = ff[ff.length - 1].start;
  const mid = from + Math.floor((end - from) / 2 / MIN) * MIN;
  log(`nezha: ${ff.length} fault-free traces from 14:30; training on those before ${isoFromMicros(mid)}`);
  const agg = await cached('nezha-trainticket-0130', () =>
    scoreAndAggregate(
      ff.filter((t) => t.start < mid),
      ff,
    ),
  );
  const sig = detectSignals(agg.buckets());
  const a = sig.filter((s) => s.minute < mid);
  const b = sig.filter((s) => s.minute >= mid);
  show(sig);
  const result = {
    traces: ff.length,
    tracesPerMinute: +(ff.length / ((end - from) / MIN)).toFixed(1),
    trainHalf: perHour(a, (mid - from) / 3600e6),
    heldOutHalf: perHour(b, (end - mid) / 3600e6),
  };
  log(`nezha: ${JSON.stringify(result)}`);
  return {
    ...result,
    faults: await nezhaFaults(
      traces,
      ff.filter((t) => t.start < mid),
    ),
  };
}

/**
 * The faulted hours of the same day (11:39 to 14:30), scored by the same model: does a signal fire in each
 * fault's window (its 3 minutes and the minute after), and does one name the faulty service?
 */
async function nezhaFaults(traces: Trace[], train: Trace[]) {
  const faults = readNezhaFaults(resolve(args.data, 'nezha-trainticket', 'faults.csv')).filter(
    (f) => f.day === '2023-01-30',
  );
  const until = Date.UTC(2023, 0, 30, 14, 30) * 1000;
  const day = traces.filter((t) => t.start < until).sort((a, b) => a.start - b.start);
  const agg = await cached('nezha-trainticket-0130-faults', () => scoreAndAggregate(train, day));
  const sig = detectSignals(agg.buckets());
  const inWindow = (s: Signal, f: NezhaFault) => s.minute >= minuteOf(f.start) && s.minute <= f.end + MIN;
  const rows = faults.map((f) => {
    const mine = sig.filter((s) => inWindow(s, f));
    const named = mine.filter((s) => names(s, { service: f.service }));
    return { id: f.faultId, type: f.type, service: f.service, signals: mine.length, naming: named.length };
  });
  const outside = sig.filter((s) => !faults.some((f) => inWindow(s, f)));
  if (args.verbose) for (const r of rows) log(`  ${JSON.stringify(r)}`);
  const result = {
    faults: faults.length,
    withSignal: rows.filter((r) => r.signals > 0).length,
    withSignalNamingService: rows.filter((r) => r.naming > 0).length,
    signalsOutsideWindows: outside.length,
    hours: +((day[day.length - 1].start - day[0].start) / 3600e6).toFixed(2),
  };
  log(`nezha faults: ${JSON.stringify(result)}`);
  return result;
}

function simTraces(sc: Scenario, seed: number, durationS: number): { traces: Trace[]; start: number } {
  const g = generate(sc, { seed, durationS });
  return { traces: g.traces.map((s) => normalizeTrace(s[0].traceId, s)), start: g.truth.start };
}

async function simNormal(hours: number) {
  const sc = getScenario('shop-normal');
  let traces: number | undefined;
  const agg = await cached(`shop-normal-${hours}h`, () => {
    const run = simTraces(sc, 7, hours * 3600);
    traces = run.traces.length;
    log(`sim: ${traces} fault-free shop traces over ${hours} h`);
    return scoreAndAggregate(simTraces(sc, 101, 600).traces, run.traces);
  });
  const sig = detectSignals(agg.buckets());
  show(sig);
  const result = { traces, ...perHour(sig, hours) };
  log(`sim normal: ${JSON.stringify(result)}`);
  return result;
}

/** Does the signal's target name the fault's place (a service at either end of an edge, an endpoint)? */
function names(s: Signal, t: FaultTarget): boolean {
  const edge = splitEdgeKey(s.target.key);
  const services =
    s.target.type === 'edge'
      ? [edge.caller, edge.callee].map((k) => splitEndpoint(k).service)
      : [splitEndpoint(s.target.key).service];
  if (t.endpoint) return s.target.key === t.endpoint.replace('/', ':');
  if (t.from && t.to) return s.target.type === 'edge' && services[0] === t.from && services[1] === t.to;
  const svc = t.call ? t.call.split('/')[0] : t.service;
  return s.target.type === 'edge' ? services[1] === svc || services[0] === t.service : services[0] === svc;
}

async function simFaults() {
  const out: Record<string, unknown>[] = [];
  // One model per system, trained on 10 minutes of its normal traffic, scores all of its fault runs.
  const models = new Map<string, ModelSet>();
  for (const sc0 of listScenarios()) {
    if (sc0.faults.length !== 1 || sc0.repeatEveryS) continue;
    const f0 = sc0.faults[0];
    const startS = f0.type === 'leak' ? 720 : 900;
    const sc: Scenario = { ...sc0, faults: [{ ...f0, startS, endS: 1320 }] };
    const run = { start: DEFAULT_START_US };
    const agg = await cached(`fault-${sc.name}`, async () => {
      let model = models.get(sc.system);
      if (!model) {
        const train = simTraces(getScenario(`${sc.system}-normal`), 101, 600).traces;
        models.set(sc.system, (model = await trainModelSet(train, { seed: 1 })));
      }
      return aggregateScored(model, simTraces(sc, 9, 1500).traces);
    });
    const sig = detectSignals(agg.buckets());
    const lo = run.start + Math.floor(startS / 60) * MIN;
    const hi = run.start + 23 * MIN;
    const inside = sig.filter((s) => s.minute >= lo && s.minute < hi);
    const outside = sig.filter((s) => s.minute < lo || s.minute >= hi);
    const onTarget = inside.filter((s) => names(s, f0.target));
    const first = onTarget.length ? (onTarget[0].minute - run.start) / MIN - startS / 60 : null;
    const row = {
      scenario: sc.name,
      fired: inside.length,
      onTarget: onTarget.length,
      kindsOnTarget: [...new Set(onTarget.map((s) => s.kind))].sort(),
      minutesToFirst: first === null ? null : +first.toFixed(1),
      outsideWindow: outside.length,
    };
    log(JSON.stringify(row));
    show(outside);
    out.push(row);
  }
  for (const m of models.values()) m.dispose();
  return out;
}

const report: Record<string, unknown> = {};
if (!args['skip-nezha']) report.nezhaTrainTicket = await nezha();
if (!args['skip-sim']) report.simShopNormal = await simNormal(Number(args['sim-hours']));
if (!args['skip-faults']) report.simFaults = await simFaults();
console.log(JSON.stringify(report, null, 2));
