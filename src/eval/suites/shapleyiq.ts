/**
 * ShapleyIQ TrainTicket (trace level). Each trace-mode case names one slow trace and the services that were
 * delayed; we rank services for that trace and check the first suggestion.
 *
 * Training data: traces in no case's abnormal or target set, i.e. upstream's "faster than the injected delay"
 * traffic (the only normal period the dataset has; it was recorded while faults ran, so it is mostly, not
 * purely, normal). No label of a test trace is used to train. Because the normal traces that serve as negatives
 * for ROC-AUC come from that same pool, the pool is split in two seeded folds and each fold is scored by the
 * model trained on the other (cross-fitting): every score is out of sample. Target traces are scored by the
 * fold-0 model.
 */
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainModelSet } from '../../scoring/train.js';
import type { ModelSet } from '../../scoring/model-set.js';
import type { ScoredTrace } from '../../scoring/scored-trace.js';
import { normalizeTraceId } from '../../trace/ids.js';
import type { Trace } from '../../trace/trace.js';
import { Prng } from '../../detectors/prng.js';
import { CostMeter, type Cost } from '../cost.js';
import {
  datasetDir,
  hasDataset,
  loadTraces,
  logger,
  sampleOf,
  spanCount,
  type SuiteOptions,
} from '../common.js';
import {
  detection,
  serviceRanking,
  tallyFirstKind,
  type DetectionResult,
  type KindTally,
} from '../detection.js';
import { rankingSummary, type RankingCase, type RankingSummary } from '../metrics.js';

export const SHAPLEYIQ_DATASET = 'shapleyiq-trainticket';
const FILES = ['spans.csv.gz', 'cases.jsonl.gz'];

export interface ShapleyIqCase {
  caseId: string;
  targets: string[];
  rootCauses: string[];
  abnormal: string[];
  normal: string[];
}

export interface ShapleyIqResult {
  suite: 'shapleyiq-trainticket';
  seed: number;
  sample?: number;
  counts: {
    traces: number;
    trainTraces: number;
    cases: number;
    traceModeCases: number;
    operationModeCases: number;
    /** Cases none of whose target traces is in the span file. */
    casesWithoutTraces: number;
  };
  /** Service-level root-cause ranking, one case = one evaluation. */
  rca: { all: RankingSummary; traceMode: RankingSummary; operationMode: RankingSummary };
  /** Which cause kind came first for trace-mode cases, and how often it was right. */
  firstKinds: KindTally;
  /** Target traces (positives) vs upstream's normal traces (negatives), scored out of sample. */
  detection: DetectionResult | null;
  cost: Cost;
  published: { method: string; top1: number }[];
}

export function readShapleyIqCases(dir: string): ShapleyIqCase[] {
  const text = gunzipSync(readFileSync(join(dir, 'cases.jsonl.gz'))).toString('utf8');
  const out: ShapleyIqCase[] = [];
  const ids = (xs: unknown): string[] =>
    Array.isArray(xs) ? xs.map((x) => normalizeTraceId(x)).filter((x): x is string => x !== undefined) : [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      process.stderr.write(
        `cases.jsonl.gz line ${i + 1}: skipped, invalid JSON (${(err as Error).message})\n`,
      );
      return;
    }
    const rootCauses = Array.isArray(o.root_causes) ? o.root_causes.map(String) : [];
    const targets = ids(o.target_trace_ids);
    if (rootCauses.length === 0 || targets.length === 0) {
      process.stderr.write(`cases.jsonl.gz line ${i + 1}: skipped, no root causes or no target traces\n`);
      return;
    }
    out.push({
      caseId: String(o.case_id),
      targets,
      rootCauses,
      abnormal: ids(o.abnormal_trace_ids),
      normal: ids(o.normal_trace_ids),
    });
  });
  return out;
}

/** A multi-target case ranks services by score x contribution summed over its targets. */
function caseRanking(scored: ScoredTrace[]): string[] {
  if (scored.length === 1) return serviceRanking(scored[0]);
  const w = new Map<string, number>();
  for (const s of scored)
    for (const c of s.rootCauses) w.set(c.service, (w.get(c.service) ?? 0) + s.score * c.contribution);
  return [...w.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
}

export async function runShapleyIq(opts: SuiteOptions = {}): Promise<ShapleyIqResult> {
  const log = logger(opts);
  const seed = opts.seed ?? 1;
  if (!hasDataset(opts, SHAPLEYIQ_DATASET, FILES))
    throw new Error(`dataset ${SHAPLEYIQ_DATASET} not found under ${datasetDir(opts, '')}`);
  const dir = datasetDir(opts, SHAPLEYIQ_DATASET);
  log(`[shapleyiq] reading ${dir}`);
  const allCases = readShapleyIqCases(dir);
  const traces = await loadTraces([join(dir, 'spans.csv.gz')], { preset: 'shapleyiq' }, log);
  const byId = new Map<string, Trace>(traces.map((t) => [t.traceId, t]));

  const excluded = new Set<string>();
  for (const c of allCases) for (const id of [...c.targets, ...c.abnormal]) excluded.add(id);
  const normalIds = new Set(allCases.flatMap((c) => c.normal));
  let pool = traces.filter((t) => !excluded.has(t.traceId));
  const cases = sampleOf(allCases, opts.sample, seed);
  if (opts.sample !== undefined) pool = sampleOf(pool, Math.max(400, opts.sample * 20), seed);

  const order = new Prng(seed).shuffle(Array.from(pool.keys()));
  const folds: Trace[][] = [[], []];
  order.forEach((i, k) => folds[k % 2].push(pool[i]));
  const meter = new CostMeter();
  const models: ModelSet[] = [];
  for (let f = 0; f < 2; f++) {
    log(`[shapleyiq] training fold ${f} on ${folds[f].length} traces`);
    meter.trainSpans += spanCount(folds[f]);
    models.push(await meter.time('train', () => trainModelSet(folds[f], { seed })));
  }

  const targetIds = [...new Set(cases.flatMap((c) => c.targets))].filter((id) => byId.has(id));
  const targetTraces = targetIds.map((id) => byId.get(id)!);
  // Negatives: upstream's normal traces, each scored by the model that did not train on it.
  const negatives: Trace[][] = [[], []];
  folds.forEach((fold, f) => {
    for (const t of fold) if (normalIds.has(t.traceId)) negatives[1 - f].push(t);
  });
  log(
    `[shapleyiq] scoring ${targetTraces.length} target + ${negatives[0].length + negatives[1].length} normal traces`,
  );
  meter.scoreSpans += spanCount(targetTraces) + spanCount(negatives[0]) + spanCount(negatives[1]);
  const scoredTargets = await meter.time('score', () => models[0].score(targetTraces, { explainAll: true }));
  const scoredNeg = await meter.time('score', () => [
    ...models[0].score(negatives[0]),
    ...models[1].score(negatives[1]),
  ]);
  for (const m of models) m.dispose();
  const scoredById = new Map(scoredTargets.map((s) => [s.traceId, s]));

  const all: RankingCase[] = [];
  const traceMode: RankingCase[] = [];
  const opMode: RankingCase[] = [];
  const firstKinds: KindTally = {};
  let missing = 0;
  for (const c of cases) {
    const scored = c.targets.map((id) => scoredById.get(id)).filter((s): s is ScoredTrace => s !== undefined);
    if (scored.length === 0) {
      missing++;
      continue;
    }
    const rc: RankingCase = { ranked: caseRanking(scored), truth: c.rootCauses };
    all.push(rc);
    if (c.targets.length === 1) {
      traceMode.push(rc);
      tallyFirstKind(firstKinds, scored[0], c.rootCauses.includes(rc.ranked[0]));
    } else opMode.push(rc);
  }
  const det = detection(
    [...scoredTargets, ...scoredNeg],
    [...scoredTargets.map(() => true), ...scoredNeg.map(() => false)],
  );
  const result: ShapleyIqResult = {
    suite: 'shapleyiq-trainticket',
    seed,
    sample: opts.sample,
    counts: {
      traces: traces.length,
      trainTraces: pool.length,
      cases: cases.length,
      traceModeCases: traceMode.length,
      operationModeCases: opMode.length,
      casesWithoutTraces: missing,
    },
    rca: {
      all: rankingSummary(all),
      traceMode: rankingSummary(traceMode),
      operationMode: rankingSummary(opMode),
    },
    firstKinds,
    detection: det,
    cost: meter.finish(),
    published: [{ method: 'ShapleyIQ (paper, ASPLOS 2023)', top1: 0.973 }],
  };
  log(
    `[shapleyiq] top-1 ${result.rca.all.top[1].toFixed(3)}, top-3 ${result.rca.all.top[3].toFixed(3)}, ` +
      `ROC-AUC ${det?.rocAuc.toFixed(3) ?? 'n/a'}`,
  );
  return result;
}
