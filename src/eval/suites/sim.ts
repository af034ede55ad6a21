/**
 * Simulated systems (src/sim): exact ground truth per trace. For `sim-<scenario>` the model trains on the
 * system's fault-free scenario (`<system>-normal`) generated with seed + 1, i.e. the same topology and workload
 * but other random draws, then scores the whole fault scenario generated with the seed. Root causes are checked
 * on the truly anomalous traces only, at service and at operation level.
 */
import { generate, getScenario, listScenarios, type Scenario } from '../../sim/index.js';
import { trainModelSet } from '../../scoring/train.js';
import type { ModelSet } from '../../scoring/model-set.js';
import { normalizeTrace } from '../../trace/normalize.js';
import type { Trace } from '../../trace/trace.js';
import type { Span } from '../../trace/span.js';
import { CostMeter, type Cost } from '../cost.js';
import { logger, sampleOf, spanCount, type SuiteOptions } from '../common.js';
import {
  detection,
  opKey,
  operationRanking,
  serviceRanking,
  tallyFirstKind,
  type DetectionResult,
  type KindTally,
} from '../detection.js';
import { rankingSummary, type RankingCase, type RankingSummary } from '../metrics.js';
import { IncidentRun } from '../../incidents/incident-run.js';
import type { IncidentMatch } from '../incident-match.js';
import { matchFaults, type EndToEndResult } from '../end-to-end.js';

export interface SimResult {
  suite: `sim-${string}`;
  scenario: string;
  system: string;
  seed: number;
  sample?: number;
  counts: { trainTraces: number; traces: number; anomalous: number; faults: number };
  detection: DetectionResult | null;
  rca: { service: RankingSummary; operation: RankingSummary };
  firstKinds: KindTally;
  /**
   * The scenario replayed minute by minute through the incident engine, incidents matched to its faults: a
   * fault is found when an incident of its own overlaps it (one that started inside it, not a fold-in).
   */
  incidents: IncidentMatch;
  endToEnd: EndToEndResult;
  cost: Cost;
  targets: { rocAuc: number; serviceTop1: number };
}

/** Scenarios with injected faults (the normal ones have nothing to find; `demo` repeats forever for the server). */
export function simScenarios(): Scenario[] {
  return listScenarios().filter((s) => s.faults.length > 0 && s.repeatEveryS === undefined);
}

function toTraces(groups: Span[][]): Trace[] {
  return groups.map((spans) => normalizeTrace(spans[0].traceId, spans));
}

/** Simulated seconds for a smoke run: enough traces for per-endpoint models, a few faulty ones. */
function durationFor(sc: Scenario, sample: number | undefined): number | undefined {
  return sample === undefined ? undefined : Math.min(sc.durationS, Math.max(60, sample));
}

const modelCache = new Map<string, { model: ModelSet; traces: number; spans: number; seconds: number }>();

export async function normalModel(
  sc: Scenario,
  seed: number,
  sample: number | undefined,
  log: (l: string) => void,
) {
  const normalName = `${sc.system}-normal`;
  const key = `${normalName}#${seed}#${sample ?? ''}`;
  let hit = modelCache.get(key);
  if (!hit) {
    const normal = getScenario(normalName);
    const { traces } = generate(normal, { seed: seed + 1, durationS: durationFor(normal, sample) });
    const train = toTraces(traces);
    log(`[sim] training ${normalName} (seed ${seed + 1}) on ${train.length} traces`);
    const t0 = performance.now();
    const model = await trainModelSet(train, { seed });
    hit = { model, traces: train.length, spans: spanCount(train), seconds: (performance.now() - t0) / 1000 };
    modelCache.set(key, hit);
  }
  return hit;
}

/** Frees the models kept between scenarios of the same system. */
export function disposeSimModels(): void {
  for (const m of modelCache.values()) m.model.dispose();
  modelCache.clear();
}

export async function runSim(scenarioName: string, opts: SuiteOptions = {}): Promise<SimResult> {
  const log = logger(opts);
  const seed = opts.seed ?? 1;
  const sc = getScenario(scenarioName);
  const meter = new CostMeter();
  const trained = await normalModel(sc, seed, opts.sample, log);
  meter.trainSeconds = trained.seconds;
  meter.trainSpans = trained.spans;
  // A smoke run still generates the whole scenario (cheap) so its fault window is in, then scores a sample.
  const gen = generate(sc, { seed });
  const keep = sampleOf(
    Array.from(gen.traces.keys()),
    opts.sample === undefined ? undefined : opts.sample * 10,
    seed,
  );
  const traces = toTraces(keep.map((i) => gen.traces[i]));
  const truths = keep.map((i) => gen.truth.traces[i]);
  meter.scoreSpans = spanCount(traces);
  log(`[sim-${sc.name}] scoring ${traces.length} traces`);
  const scored = await meter.time('score', () => trained.model.score(traces, { explainAll: true }));
  const labels = truths.map((t) => t.anomalous);

  const svc: RankingCase[] = [];
  const op: RankingCase[] = [];
  const firstKinds: KindTally = {};
  scored.forEach((s, i) => {
    const rc = truths[i].rootCause;
    if (!truths[i].anomalous || !rc) return;
    const ranked = serviceRanking(s);
    // A fault on an edge (network delay) has two ends, and one trace cannot tell which end's network
    // stack holds the delay: naming either end is right. A traffic spike shows itself in a trace as the
    // queue it overflowed; naming that service or the endpoint whose load overflowed it is right.
    const truth = rc.edge
      ? [...new Set([rc.service, rc.edge.from, rc.edge.to])]
      : [...new Set([rc.service, ...(rc.load ? [rc.load.service] : [])])];
    svc.push({ ranked, truth });
    tallyFirstKind(firstKinds, s, truth.includes(ranked[0]));
    if (rc.operation !== undefined) {
      const ops = [opKey(rc.service, rc.operation)];
      if (rc.load) ops.push(opKey(rc.load.service, rc.load.operation));
      op.push({ ranked: operationRanking(s), truth: [...new Set(ops)] });
    }
  });
  const det = detection(scored, labels);
  const run = new IncidentRun(trained.model.baseline);
  traces.forEach((t, i) => run.add(t, scored[i]));
  const endToEnd = matchFaults(
    gen.truth.faults.map((f) => ({
      id: f.id,
      type: f.type,
      start: f.start,
      end: f.end,
      truth: f.rootCause.edge
        ? [...new Set([f.rootCause.service, f.rootCause.edge.from, f.rootCause.edge.to])]
        : [f.rootCause.service],
    })),
    await run.incidents(),
  );
  // The incident columns: each fault counts when it got an incident of its own, and that incident's first
  // cause when it names the faulty service.
  const incidents: IncidentMatch = {
    incidents: endToEnd.summary.incidents,
    faultsFound: endToEnd.summary.own,
    rootCauseFirst: endToEnd.summary.ownFirst,
    faults: endToEnd.summary.faults,
    falseIncidents: endToEnd.summary.falseIncidents,
  };
  const result: SimResult = {
    suite: `sim-${sc.name}`,
    scenario: sc.name,
    system: sc.system,
    seed,
    sample: opts.sample,
    counts: {
      trainTraces: trained.traces,
      traces: traces.length,
      anomalous: labels.filter(Boolean).length,
      faults: gen.truth.faults.length,
    },
    detection: det,
    rca: { service: rankingSummary(svc), operation: rankingSummary(op) },
    firstKinds,
    incidents,
    endToEnd,
    cost: meter.finish(),
    targets: { rocAuc: 0.97, serviceTop1: 0.85 },
  };
  log(
    `[sim-${sc.name}] ROC-AUC ${det?.rocAuc.toFixed(3) ?? 'n/a'}, service top-1 ${result.rca.service.top[1]?.toFixed(3)}`,
  );
  return result;
}
