/**
 * The held-out evaluation: Tracehound trained on the fault-free period of the held-out system, then the test
 * period scored with explanations for every trace and replayed through the incident pipeline, all with the
 * code the CLI runs (`train`: trainModelSet with its defaults; `score --explain all`: ModelSet.score with
 * explainAll, the CLI has no such option yet; `incidents`: OfflineIncidents, which scores each batch itself as
 * the command does, so the test traces are scored twice). Traces travel as OTLP JSON through Tracehound's reader.
 */
import { readTracePayload } from '../../../src/formats/read.js';
import { trainModelSet } from '../../../src/scoring/train.js';
import { OfflineIncidents } from '../../../src/incidents/offline-incidents.js';
import type { Trace } from '../../../src/trace/trace.js';
import { generate, type Generated, type Period } from '../generate.js';
import { heldoutScenario } from '../scenario.js';
import { toOtlpJson } from '../wire/otlp-json.js';
import type { FaultWindow, TraceTruth } from '../model.js';
import { ZScoreBaseline } from './zscore-baseline.js';
import { incidentOutcomes } from './incident-outcomes.js';
import { summarize, type HeldoutResult, type TraceRecord } from './metrics.js';

export interface HeldoutOptions {
  seed?: number;
  /** Mean public requests per second (default 3). */
  rate?: number;
  log?: (line: string) => void;
}

/** Traces per OTLP request read back (and per scoring batch, as `tracehound score` batches 1000). */
const CHUNK = 1000;

/** Generates a period and hands it on in chunks, each read back from OTLP JSON by Tracehound's reader. */
function* readBack(
  p: Period,
  counts: { skipped: number },
): Generator<{ traces: Trace[]; truth: Map<string, TraceTruth> }> {
  let batch: Generated[] = [];
  const flush = () => {
    const { traces, report } = readTracePayload(
      Buffer.from(JSON.stringify(toOtlpJson(batch.map((g) => g.trace)))),
    );
    counts.skipped += report.skipped;
    const truth = new Map(batch.map((g) => [g.truth.traceId, g.truth]));
    batch = [];
    return { traces: traces.sort((a, b) => a.start - b.start), truth };
  };
  for (const g of generate(p)) {
    batch.push(g);
    if (batch.length >= CHUNK) yield flush();
  }
  if (batch.length) yield flush();
}

const kindOf = (faults: readonly FaultWindow[]) => {
  const m = new Map(faults.map((f) => [f.id, f.kind]));
  return (t: TraceTruth) => [...new Set(t.effects.map((e) => m.get(e.faultId)!))];
};

export async function runHeldout(opts: HeldoutOptions = {}): Promise<HeldoutResult> {
  const seed = opts.seed ?? 1;
  const rate = opts.rate ?? 3;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const s = heldoutScenario(seed, rate);
  const counts = { skipped: 0, trainTraces: 0, testTraces: 0 };

  const train: Trace[] = [];
  for (const c of readBack(s.train, counts)) train.push(...c.traces);
  counts.trainTraces = train.length;
  log(`[heldout] ${train.length} fault-free training traces over ${s.train.minutes} minutes`);
  const t1 = performance.now();
  const model = await trainModelSet(train, {
    seed,
    onProgress: (stage, done, total) => done === total && log(`[heldout]   ${stage} done`),
  });
  const zscore = new ZScoreBaseline(train);
  train.length = 0;
  const t2 = performance.now();

  const run = new OfflineIncidents(model);
  const records: TraceRecord[] = [];
  const kinds = kindOf(s.test.faults);
  let scoreMs = 0;
  for (const c of readBack(s.test, counts)) {
    const ts = performance.now();
    const scored = model.score(c.traces, { explainAll: true });
    scoreMs += performance.now() - ts;
    run.addBatch(c.traces);
    c.traces.forEach((t, i) => {
      const truth = c.truth.get(t.traceId);
      if (!truth) throw new Error(`heldout: trace ${t.traceId} read back but never generated`);
      const z = zscore.score(t);
      records.push({
        kinds: kinds(truth),
        faulty: truth.faulty,
        truth: truth.rootCause,
        score: scored[i].score,
        anomalous: scored[i].anomalous,
        ranked: [...new Set(scored[i].rootCauses.map((r) => r.service))],
        zScore: z.score,
        zRanked: z.ranked,
      });
    });
    counts.testTraces += c.traces.length;
    log(`[heldout] scored ${counts.testTraces} test traces`);
  }
  const t3 = performance.now();
  const incidents = await run.incidents();
  model.dispose();
  const end = s.test.start + s.test.minutes * 60e6;
  const outcomes = incidentOutcomes(s.test.faults, incidents, { start: s.test.start, end });
  const t4 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  log(`[heldout] ${incidents.length} incidents`);
  return summarize(records, outcomes, {
    seed,
    rate,
    faults: [...s.test.faults],
    counts: { ...counts, testMinutes: s.test.minutes, trainMinutes: s.train.minutes },
    // the rest of the total: generating, encoding and reading traces, the z-score yardstick, aggregates
    seconds: {
      train: (t2 - t1) / 1000,
      scoreExplainAll: scoreMs / 1000,
      incidents: (t4 - t3) / 1000,
      total: (t4 - t0) / 1000,
      cpu: (cpu.user + cpu.system) / 1e6,
    },
  });
}
