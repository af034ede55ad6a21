/**
 * Does cost grow linearly? Two sweeps, each timed in CPU seconds (median of 3) and summarized by the exponent
 * of a least-squares line through log(cost) against log(size):
 *
 * - spans per trace, 10 to 100,000, at a fixed total of spans: reading (Jaeger v1 from disk, normalized),
 *   features and scoring cost per trace should grow as n^1. Two shapes: a tree four wide (depth grows as
 *   log n, call paths stay few) and a fan-out (one parent calling the same few operations n times, as an
 *   N+1 query or a batch job does).
 * - endpoints, 1 to 10,000, at a fixed number of traces: training and scoring should not grow with the
 *   number of endpoints (exponent near 0), only with traffic.
 *
 * Synthetic traces, so sizes and endpoints are exact; no autoencoder (its cost is per busy endpoint and
 * capped by maxAutoencoders, not by trace size).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTraceFiles } from '../src/formats/read.js';
import { toJaegerTrace } from '../src/formats/write/jaeger-v1.js';
import { extractProfile } from '../src/features/profile.js';
import { trainModelSet } from '../src/scoring/train.js';
import type { ModelSet } from '../src/scoring/model-set.js';
import type { Span } from '../src/trace/span.js';
import type { Trace } from '../src/trace/trace.js';
import { median } from '../src/detectors/median.js';

type Shape = 'tree' | 'fan-out';

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

let nextTrace = 1;

/** One trace of n spans. `endpoint` names the root's operation; durations vary with `seed` only. */
export function syntheticTrace(n: number, shape: Shape, endpoint = 'GET /', seed = 0): Span[] {
  const traceId = hex(nextTrace++, 32);
  const t0 = 1_700_000_000_000_000 + nextTrace * 1000;
  const spans: Span[] = [];
  const depth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = i === 0 ? -1 : shape === 'tree' ? (i - 1) >> 2 : 0;
    const d = p < 0 ? 0 : depth[p] + 1;
    depth[i] = d;
    // A tree names operations by depth, a fan-out cycles through five: either way few call paths.
    const k = shape === 'tree' ? d : i % 5;
    spans.push({
      traceId,
      spanId: hex(i + 1, 16),
      parentId: p < 0 ? undefined : hex(p + 1, 16),
      service: i === 0 ? 'gateway' : `svc${k % 8}`,
      operation: i === 0 ? endpoint : `op${k}`,
      kind: 'server',
      // Children start inside their parent and end before it: no clock-skew adjustment to muddy the cost.
      start: t0 + d * 10 + (i % 7),
      duration: Math.max(1, 100_000 - d * 5_000 - ((i * 31 + seed * 17) % 1000)),
      error: false,
      attributes: {},
      resource: {},
      events: 0,
    });
  }
  return spans;
}

function writeJaeger(file: string, traces: Span[][]): void {
  writeFileSync(file, JSON.stringify({ data: traces.map(toJaegerTrace) }));
}

async function readAll(file: string): Promise<Trace[]> {
  const out: Trace[] = [];
  await readTraceFiles([file], {}, (t) => out.push(t));
  return out;
}

const cpuSeconds = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

async function cpuOf(fn: () => unknown): Promise<number> {
  const c0 = cpuSeconds();
  await fn();
  return cpuSeconds() - c0;
}

/** Slope of log(y) against log(x): the exponent b of y ~ x^b. */
export function fittedExponent(xs: number[], ys: number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map((y) => Math.log(Math.max(y, 1e-9)));
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

interface StageCosts {
  read: number;
  features: number;
  score: number;
}

async function timeStages(file: string, model: ModelSet, runs: number): Promise<StageCosts> {
  const read: number[] = [];
  const features: number[] = [];
  const score: number[] = [];
  for (let r = 0; r < runs; r++) {
    let traces: Trace[] = [];
    read.push(await cpuOf(async () => (traces = await readAll(file))));
    let profiles: ReturnType<typeof extractProfile>[] = [];
    features.push(await cpuOf(() => (profiles = traces.map((t) => extractProfile(t)))));
    score.push(await cpuOf(() => model.score(traces, { profiles })));
  }
  return { read: median(read), features: median(features), score: median(score) };
}

export async function runLinearityBench(
  opts: { totalSpans?: number; traces?: number; runs?: number; log?: (l: string) => void } = {},
): Promise<Record<string, string>> {
  const totalSpans = opts.totalSpans ?? 100_000;
  const nTraces = opts.traces ?? 5_000;
  const runs = opts.runs ?? 3;
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'tracehound-linearity-'));
  const out: Record<string, string> = {};
  try {
    // Trace size: CPU per trace against spans per trace.
    const sizes = [10, 100, 1_000, 10_000, 100_000];
    for (const shape of ['tree', 'fan-out'] as const) {
      const trainFile = join(dir, `train-${shape}.json`);
      writeJaeger(
        trainFile,
        Array.from({ length: 400 }, (_, i) => syntheticTrace(50, shape, 'GET /', i)),
      );
      const model = await trainModelSet(await readAll(trainFile), { seed: 1, autoencoder: false });
      // Once untimed, so that the first size does not pay for compiling the code.
      await timeStages(trainFile, model, 1);
      const perTrace: StageCosts[] = [];
      for (const n of sizes) {
        const count = Math.max(1, Math.round(totalSpans / n));
        const file = join(dir, `${shape}-${n}.json`);
        writeJaeger(
          file,
          Array.from({ length: count }, (_, i) => syntheticTrace(n, shape, 'GET /', i)),
        );
        const c = await timeStages(file, model, runs);
        perTrace.push({ read: c.read / count, features: c.features / count, score: c.score / count });
        rmSync(file);
        log(
          `linearity ${shape} ${n} spans/trace x ${count}: read ${c.read.toFixed(2)} s, features ${c.features.toFixed(2)} s, score ${c.score.toFixed(2)} s`,
        );
      }
      const total = perTrace.map((c) => c.read + c.features + c.score);
      out[`${shape}: µs/span at ${sizes.join(', ')} spans/trace`] = total
        .map((t, i) => ((t / sizes[i]) * 1e6).toFixed(1))
        .join(', ');
      out[`${shape}: exponent read, features, score, all`] = [
        ...(['read', 'features', 'score'] as const).map((k) =>
          fittedExponent(
            sizes,
            perTrace.map((c) => c[k]),
          ),
        ),
        fittedExponent(sizes, total),
      ]
        .map((b) => b.toFixed(2))
        .join(', ');
      model.dispose();
    }

    // Endpoints: training and scoring CPU for the same traffic spread over more and more endpoints.
    const endpoints = [1, 10, 100, 1_000, 10_000];
    const train: number[] = [];
    const score: number[] = [];
    for (const e of endpoints) {
      const file = join(dir, `endpoints-${e}.json`);
      writeJaeger(
        file,
        Array.from({ length: nTraces }, (_, i) => syntheticTrace(10, 'tree', `GET /e${i % e}`, i)),
      );
      const traces = await readAll(file);
      rmSync(file);
      const tr: number[] = [];
      const sc: number[] = [];
      for (let r = 0; r < runs; r++) {
        let model: ModelSet | undefined;
        tr.push(
          await cpuOf(async () => (model = await trainModelSet(traces, { seed: 1, autoencoder: false }))),
        );
        sc.push(await cpuOf(() => model!.score(traces)));
        model!.dispose();
      }
      train.push(median(tr));
      score.push(median(sc));
      log(
        `linearity ${e} endpoints x ${nTraces} traces: train ${median(tr).toFixed(2)} s, score ${median(sc).toFixed(2)} s`,
      );
    }
    out[`endpoints ${endpoints.join(', ')}: train CPU s`] = train.map((t) => t.toFixed(2)).join(', ');
    out[`endpoints ${endpoints.join(', ')}: score CPU s`] = score.map((t) => t.toFixed(2)).join(', ');
    out['endpoints: exponent train, score'] = [
      fittedExponent(endpoints, train),
      fittedExponent(endpoints, score),
    ]
      .map((b) => b.toFixed(2))
      .join(', ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
