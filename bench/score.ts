/**
 * Scoring throughput of `tracehound score`: a model trained on one Jaeger v1 file scores another of
 * >= 200k spans, read from disk, end to end (read, normalize, features, detectors, explanations).
 * Wall time is what a user waits; CPU time (all threads of the process) is what one core spends, and stays
 * meaningful on a machine busy with other work. Memory: peak RSS while scoring inputs of growing size
 * should stay flat.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trainModelSet } from '../src/scoring/train.js';
import { readTraceFiles } from '../src/formats/read.js';
import { scoreFiles } from '../src/cli/score.js';
import type { ModelSet } from '../src/scoring/model-set.js';
import type { Trace } from '../src/trace/trace.js';
import { jaegerDocument } from './jaeger-fixture.js';
import { median } from '../src/detectors/median.js';

// A full collection before each run, so that the input files built above (hundreds of MB of strings) do
// not count as scoring's memory.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function scoreOnce(model: ModelSet, file: string) {
  gc();
  let peakRss = 0;
  let peakHeap = 0;
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const res = await scoreFiles([file], { quiet: true }, model, () => {
    if (n++ % 50 !== 0) return;
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  });
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { spans: res.spans, wall, cpu: (cpu.user + cpu.system) / 1e6, peakRss, peakHeap };
}

/** Largest live heap (after a full collection) seen while scoring: what the process must hold. Untimed. */
async function liveHeap(model: ModelSet, file: string): Promise<number> {
  gc();
  let peak = 0;
  let n = 0;
  await scoreFiles([file], { quiet: true }, model, () => {
    if (n++ % 500 !== 0) return;
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  });
  return peak;
}

export async function runScoreBench(spans = 200_000, runs = 5): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'tracehound-bench-'));
  try {
    const trainFile = join(dir, 'train.json');
    const scoreFile = join(dir, 'score.json');
    const bigFile = join(dir, 'score-2x.json');
    writeFileSync(trainFile, JSON.stringify(jaegerDocument(100_000)));
    writeFileSync(scoreFile, JSON.stringify(jaegerDocument(spans)));
    writeFileSync(bigFile, JSON.stringify(jaegerDocument(2 * spans)));
    const traces: Trace[] = [];
    await readTraceFiles([trainFile], {}, (t) => traces.push(t));
    const t0 = performance.now();
    const model = await trainModelSet(traces, { seed: 1 });
    const trainSeconds = (performance.now() - t0) / 1000;
    const trainTraces = traces.length;
    // The training traces are not part of scoring's memory.
    traces.length = 0;
    const walls: number[] = [];
    const cpus: number[] = [];
    let scored = 0;
    let peakRss = 0;
    let peakHeap = 0;
    for (let r = 0; r < runs; r++) {
      const x = await scoreOnce(model, scoreFile);
      walls.push(x.wall);
      cpus.push(x.cpu);
      scored = x.spans;
      peakRss = Math.max(peakRss, x.peakRss);
      peakHeap = Math.max(peakHeap, x.peakHeap);
    }
    const big = await scoreOnce(model, bigFile);
    const live = await liveHeap(model, scoreFile);
    const bigLive = await liveHeap(model, bigFile);
    model.dispose();
    return {
      trainTraces,
      trainSeconds,
      scoredSpans: scored,
      scoreSeconds: median(walls),
      spansPerSecond: scored / median(walls),
      cpuSeconds: median(cpus),
      spansPerCpuSecond: scored / median(cpus),
      peakRssMB: peakRss / 1048576,
      peakHeapMB: peakHeap / 1048576,
      bigInputSpans: big.spans,
      bigInputPeakRssMB: big.peakRss / 1048576,
      bigInputPeakHeapMB: big.peakHeap / 1048576,
      liveHeapMB: live / 1048576,
      bigInputLiveHeapMB: bigLive / 1048576,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
