/**
 * Scoring throughput of `tracehound score`: a model trained on one Jaeger v1 file scores another of
 * >= 200k spans, read from disk, end to end (read, normalize, features, detectors, explanations).
 * Memory: peak RSS while scoring inputs of growing size should stay flat.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModelSet } from '../src/scoring/train.js';
import { readTraceFiles } from '../src/formats/read.js';
import { scoreFiles } from '../src/cli/score.js';
import type { Trace } from '../src/trace/trace.js';
import { jaegerDocument } from './jaeger-fixture.js';
import { median } from './timing.js';

export async function runScoreBench(spans = 200_000, runs = 3): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'tracehound-bench-'));
  try {
    const trainFile = join(dir, 'train.json');
    const scoreFile = join(dir, 'score.json');
    writeFileSync(trainFile, JSON.stringify(jaegerDocument(100_000)));
    writeFileSync(scoreFile, JSON.stringify(jaegerDocument(spans)));
    const traces: Trace[] = [];
    await readTraceFiles([trainFile], {}, (t) => traces.push(t));
    const t0 = performance.now();
    const model = await trainModelSet(traces, { seed: 1 });
    const trainSeconds = (performance.now() - t0) / 1000;
    const times: number[] = [];
    let scored = 0;
    let peakRss = 0;
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      const res = await scoreFiles([scoreFile], { quiet: true }, model, () => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      });
      times.push((performance.now() - start) / 1000);
      scored = res.spans;
    }
    model.dispose();
    const secs = median(times);
    return {
      trainTraces: traces.length,
      trainSeconds,
      scoredSpans: scored,
      scoreSeconds: secs,
      spansPerSecond: scored / secs,
      peakRssMB: peakRss / 1048576,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
