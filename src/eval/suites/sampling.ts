/**
 * Sampling advice against uniform sampling at the same budget, on the simulated fault scenarios. Each
 * scenario follows ten minutes of its system's normal traffic (seed + 2), all of it scored by the model the sim
 * suites train (`<system>-normal`, seed + 1); advice takes over from uniform sampling at the budget when the
 * lead-in starts, so that it meets the fault in a steady state. Head: the
 * tracers sample by Tracehound's Jaeger strategies, and Tracehound sees only what they kept. Tail: Tracehound
 * sees everything, the Collector keeps by its tail_sampling policies. Uniform keeps, from the same traces, as
 * many as the advice kept, each with the same probability. The figure is the share of the faulty traces (those
 * a fault changed) each keeps.
 */
import { getScenario, generate, type Scenario } from '../../sim/index.js';
import { DEFAULT_START_US } from '../../sim/scenario.js';
import { samplingOptions } from '../../sampling/options.js';
import { learnedP99Us } from '../../sampling/thresholds.js';
import type { ModelSet } from '../../scoring/model-set.js';
import { normalizeTrace } from '../../trace/normalize.js';
import { endpointKeyOf } from '../../trace/endpoint-key.js';
import { logger, sampleOf, spanCount, type SuiteOptions } from '../common.js';
import { CostMeter, type Cost } from '../cost.js';
import { matchIncidents } from '../incident-match.js';
import {
  replayHead,
  replayTail,
  unitDraw,
  type ReplayOptions,
  type ReplayTrace,
} from '../sampling-replay.js';
import { normalModel, simScenarios } from './sim.js';

/** Kept traces, and the faulty ones among them. */
export interface Kept {
  kept: number;
  faulty: number;
}

export interface SamplingScenarioResult {
  scenario: string;
  system: string;
  /** The scenario's traces (the normal lead-in is not counted) and the faulty ones among them. */
  traces: number;
  faulty: number;
  /** Per service, traces/s. */
  budgetTps: number;
  head: Kept;
  headUniform: Kept;
  tail: Kept;
  tailUniform: Kept;
  /** Faults an incident covered, opened from the head-sampled traces alone. */
  headFaultsFound: number;
  faults: number;
}

export interface SamplingResult {
  suite: 'sampling';
  seed: number;
  sample?: number;
  /** The budget as a share of the normal traffic of each service. */
  budgetShare: number;
  scenarios: SamplingScenarioResult[];
  cost: Cost;
}

/** The share of a service's normal traffic its budget allows. */
export const BUDGET_SHARE = 0.1;
/** Tracers poll every 10 s; the Collector reloads its policies every minute. */
const HEAD_STEP_MS = 10_000;
const TAIL_STEP_MS = 60_000;
const LEAD_IN_S = 600;

const toReplay = async (traces: ReplayTrace['trace'][], model: ModelSet, meter: CostMeter) => {
  meter.scoreSpans += spanCount(traces);
  const scored = await meter.time('score', () => model.score(traces));
  return traces.map((trace, i): ReplayTrace => {
    return { trace, scored: scored[i], endpoint: endpointKeyOf(trace) };
  });
};

const leadInCache = new Map<string, ReplayTrace[]>();

/** Ten minutes of the system's normal traffic just before the scenario starts, scored once per system. */
async function leadIn(sc: Scenario, seed: number, model: ModelSet, meter: CostMeter): Promise<ReplayTrace[]> {
  const key = `${sc.system}#${seed}`;
  let hit = leadInCache.get(key);
  if (!hit) {
    const shift = LEAD_IN_S * 1e6;
    const g = generate(getScenario(`${sc.system}-normal`), { seed: seed + 2, durationS: LEAD_IN_S });
    const traces = g.traces.map((spans) =>
      normalizeTrace(
        spans[0].traceId,
        spans.map((s) => ({ ...s, start: s.start - shift })),
      ),
    );
    leadInCache.set(key, (hit = await toReplay(traces, model, meter)));
  }
  return hit;
}

function kept(traces: readonly ReplayTrace[], keep: readonly boolean[], faulty: readonly boolean[]): Kept {
  let k = 0;
  let f = 0;
  traces.forEach((_, i) => {
    if (!keep[i]) return;
    k++;
    if (faulty[i]) f++;
  });
  return { kept: k, faulty: f };
}

/** Uniform sampling of as many traces as `target` kept, in expectation. */
function uniform(traces: readonly ReplayTrace[], target: Kept, faulty: readonly boolean[]): Kept {
  const p = target.kept / traces.length;
  return kept(
    traces,
    traces.map((t) => unitDraw('uniform', t.trace.traceId) < p),
    faulty,
  );
}

export async function runScenario(
  sc: Scenario,
  opts: SuiteOptions = {},
  meter = new CostMeter(),
): Promise<SamplingScenarioResult> {
  const log = logger(opts);
  const seed = opts.seed ?? 1;
  const { model } = await normalModel(sc, seed, undefined, log);
  const lead = await leadIn(sc, seed, model, meter);
  const g = generate(sc, { seed });
  if (g.truth.start !== DEFAULT_START_US)
    throw new Error(`${sc.name}: expected to start at the default start`);
  log(`[sampling] ${sc.name}: scoring ${g.traces.length} traces`);
  const run = await toReplay(
    g.traces.map((spans) => normalizeTrace(spans[0].traceId, spans)),
    model,
    meter,
  );
  const all = [...lead, ...run];
  const services = [...new Set(all.map((t) => t.trace.spans[t.trace.root].service))].sort();
  const budgetTps = (BUDGET_SHARE * lead.length) / LEAD_IN_S / services.length;
  const o: Omit<ReplayOptions, 'stepMs'> = {
    sampling: samplingOptions({ budgetTps }),
    services,
    visibleAfterMs: 60_000,
    judgeAfterMs: 120_000,
  };
  const thresholds = new Map<string, number>();
  for (const ep of new Set(all.map((t) => t.endpoint))) {
    const p99 = learnedP99Us(model.baseline, ep);
    if (p99 !== undefined) thresholds.set(ep, p99);
  }
  // Advice takes over from uniform sampling at the budget, served for long before the lead-in starts.
  const since = all[0].trace.start / 1000 - 3600_000;
  const initial = new Map(
    services.map((s) => {
      const rate = lead.filter((t) => t.trace.spans[t.trace.root].service === s).length / LEAD_IN_S;
      const p = Math.min(1, budgetTps / rate);
      return [s, { evaluatedAt: since, served: [{ at: since, defaultProbability: p, operations: {} }] }];
    }),
  );
  const head = replayHead(all, { ...o, stepMs: HEAD_STEP_MS }, initial);
  const tail = replayTail(all, { ...o, stepMs: TAIL_STEP_MS }, thresholds);
  const faulty = g.truth.traces.map((t) => t.anomalous);
  const counted = lead.length;
  const headKept = kept(run, head.kept.slice(counted), faulty);
  const tailKept = kept(run, tail.kept.slice(counted), faulty);
  const found = matchIncidents(
    g.truth.faults.map((f) => ({ start: f.start, end: f.end, truth: [f.rootCause.service] })),
    head.incidents.filter((i) => Date.parse(i.end) * 1000 > g.truth.start),
  );
  const r: SamplingScenarioResult = {
    scenario: sc.name,
    system: sc.system,
    traces: run.length,
    faulty: faulty.filter(Boolean).length,
    budgetTps,
    head: headKept,
    headUniform: uniform(run, headKept, faulty),
    tail: tailKept,
    tailUniform: uniform(run, tailKept, faulty),
    headFaultsFound: found.faultsFound,
    faults: found.faults,
  };
  const share = (k: Kept) => `${((100 * k.faulty) / Math.max(1, r.faulty)).toFixed(1)}%`;
  log(
    `[sampling] ${sc.name}: faulty kept, head ${share(r.head)} vs uniform ${share(r.headUniform)}; ` +
      `tail ${share(r.tail)} vs uniform ${share(r.tailUniform)}`,
  );
  return r;
}

/** Every fault scenario (of one system, when named), or `sample` of them (seeded). */
export async function runSampling(opts: SuiteOptions = {}, system?: string): Promise<SamplingResult> {
  const seed = opts.seed ?? 1;
  const meter = new CostMeter();
  const trained = new Set<string>();
  const scenarios: SamplingScenarioResult[] = [];
  const pool = simScenarios().filter((sc) => system === undefined || sc.system === system);
  if (pool.length === 0) throw new Error(`no simulated system "${system}"`);
  for (const sc of sampleOf(pool, opts.sample, seed)) {
    const t = await normalModel(sc, seed, undefined, logger(opts));
    if (!trained.has(sc.system)) {
      trained.add(sc.system);
      meter.trainSeconds += t.seconds;
      meter.trainSpans += t.spans;
    }
    scenarios.push(await runScenario(sc, opts, meter));
  }
  leadInCache.clear();
  return {
    suite: 'sampling',
    seed,
    sample: opts.sample,
    budgetShare: BUDGET_SHARE,
    scenarios,
    cost: meter.finish(),
  };
}
