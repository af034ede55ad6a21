/** What every suite shares: options, progress on stderr, dataset paths, reading span files. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readTraceFiles, type ReadOptions } from '../formats/read.js';
import type { Trace } from '../trace/trace.js';
import { Prng } from '../detectors/prng.js';

export interface SuiteOptions {
  /** Folder holding the dataset folders (default ../shared/datasets, relative to the work tree). */
  data?: string;
  seed?: number;
  /** A small smoke run: at most this many test cases/faults/rows (and a proportionally small training set). */
  sample?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export const DEFAULT_DATA_DIR = '../shared/datasets';

export function datasetDir(opts: SuiteOptions, name: string): string {
  return resolve(opts.data ?? DEFAULT_DATA_DIR, name);
}

export function hasDataset(opts: SuiteOptions, name: string, files: string[]): boolean {
  const dir = datasetDir(opts, name);
  return files.every((f) => existsSync(join(dir, f)));
}

export function logger(opts: SuiteOptions): (line: string) => void {
  return opts.log ?? ((line) => process.stderr.write(`${line}\n`));
}

export async function loadTraces(
  files: string[],
  opts: ReadOptions,
  log: (l: string) => void,
): Promise<Trace[]> {
  const traces: Trace[] = [];
  const report = await readTraceFiles(files, opts, (t) => traces.push(t));
  log(
    `  read ${report.traces} traces, ${report.spans} spans from ${files.length} file(s); skipped ${report.skipped}`,
  );
  return traces;
}

/** A seeded sample of at most n items, in their original order (deterministic under the seed). */
export function sampleOf<T>(items: readonly T[], n: number | undefined, seed: number): T[] {
  if (n === undefined || items.length <= n) return [...items];
  const idx = new Prng(seed).shuffle(Array.from(items.keys())).slice(0, n);
  idx.sort((a, b) => a - b);
  return idx.map((i) => items[i]);
}

export function spanCount(traces: readonly Trace[]): number {
  let n = 0;
  for (const t of traces) n += t.spans.length;
  return n;
}
