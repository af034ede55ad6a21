import type { Trace } from '../trace/trace.js';
import { readTraceFiles } from '../formats/read.js';
import type { ReadReport } from '../formats/report.js';
import { readOptionsFrom, type InputFlags } from './input-options.js';
import { progress } from './progress.js';

/** Reads trace files with a progress bar; `onTrace` sees each trace as it is assembled. */
export async function readWithProgress(
  files: string[],
  flags: InputFlags,
  onTrace: (t: Trace) => void,
  label = 'reading',
): Promise<ReadReport> {
  const bar = progress(label, { quiet: flags.quiet, unit: 'bytes' });
  try {
    return await readTraceFiles(
      files,
      { ...readOptionsFrom(flags), onProgress: (d, t) => bar.update(d, t) },
      onTrace,
    );
  } finally {
    bar.stop();
  }
}

/** Says what was read, and the first warnings. */
export function reportRead(report: ReadReport, flags: InputFlags): void {
  if (flags.quiet) return;
  process.stderr.write(
    `read ${report.traces} traces, ${report.spans} spans, ${report.skipped} records skipped\n`,
  );
  for (const w of report.warnings.slice(0, 10)) process.stderr.write(`  warning: ${w}\n`);
}

/** Reads whole files into memory (for commands that need every trace at once). */
export async function loadTraces(files: string[], flags: InputFlags): Promise<Trace[]> {
  const traces: Trace[] = [];
  reportRead(await readWithProgress(files, flags, (t) => traces.push(t)), flags);
  return traces;
}
