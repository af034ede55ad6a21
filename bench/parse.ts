/**
 * Parsing cost: reading a >= 200k-span Jaeger v1 file into normalized traces (the streaming reader, every
 * adjuster, tree building) against a bare JSON.parse of the same file read from disk. Goal: ratio <= 1.5.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTraceFiles } from '../src/formats/read.js';
import { jaegerDocument } from './jaeger-fixture.js';
import { median } from '../src/detectors/median.js';

export interface ParseBenchResult {
  spans: number;
  megabytes: number;
  bareParseMs: number;
  fullReadMs: number;
  ratio: number;
  spansPerSecond: number;
  heapGrowthMB: number;
}

export async function runParseBench(spans = 200_000, runs = 5): Promise<ParseBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tracehound-parse-'));
  const file = join(dir, 'traces.json');
  writeFileSync(file, JSON.stringify(jaegerDocument(spans)));
  const megabytes = readFileSync(file).length / 1048576;
  const bare: number[] = [];
  const full: number[] = [];
  let count = 0;
  let heapGrowth = 0;
  try {
    for (let r = 0; r < runs; r++) {
      let t0 = performance.now();
      JSON.parse(readFileSync(file, 'utf8'));
      bare.push(performance.now() - t0);
      const heap0 = process.memoryUsage().heapUsed;
      let peak = heap0;
      t0 = performance.now();
      let n = 0;
      const report = await readTraceFiles([file], {}, () => {
        if (++n % 200 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      });
      full.push(performance.now() - t0);
      count = report.spans;
      heapGrowth = Math.max(heapGrowth, peak - heap0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (count !== spans) throw new Error(`read ${count} spans, expected ${spans}`);
  const bareParseMs = median(bare);
  const fullReadMs = median(full);
  return {
    spans,
    megabytes,
    bareParseMs,
    fullReadMs,
    ratio: fullReadMs / bareParseMs,
    spansPerSecond: spans / (fullReadMs / 1000),
    heapGrowthMB: heapGrowth / 1048576,
  };
}
