import { Command } from 'commander';
import { readTraceFiles } from '../formats/read.js';
import { withInputOptions, readOptionsFrom, type InputFlags } from './input-options.js';
import { progress } from './progress.js';

export interface InspectSummary {
  format: string | undefined;
  traces: number;
  spans: number;
  services: string[];
  operations: number;
  skipped: number;
  warnings: string[];
}

export async function inspectFiles(files: string[], flags: InputFlags): Promise<InspectSummary> {
  const services = new Set<string>();
  const operations = new Set<string>();
  const bar = progress('reading', { quiet: flags.quiet, unit: 'bytes' });
  const report = await readTraceFiles(
    files,
    { ...readOptionsFrom(flags), onProgress: (d, t) => bar.update(d, t) },
    (t) => {
      for (const s of t.spans) {
        services.add(s.service);
        operations.add(`${s.service}\u0000${s.operation}`);
      }
    },
  );
  bar.stop();
  return {
    format: report.format,
    traces: report.traces,
    spans: report.spans,
    services: [...services].sort(),
    operations: operations.size,
    skipped: report.skipped,
    warnings: report.warnings,
  };
}

function printHuman(s: InspectSummary): void {
  const out = process.stdout;
  out.write(`format      ${s.format ?? 'none'}\n`);
  out.write(`traces      ${s.traces}\n`);
  out.write(`spans       ${s.spans}\n`);
  out.write(`services    ${s.services.length}: ${s.services.join(', ')}\n`);
  out.write(`operations  ${s.operations}\n`);
  out.write(`skipped     ${s.skipped}\n`);
  if (s.warnings.length) out.write(`warnings\n${s.warnings.map((w) => `  - ${w}`).join('\n')}\n`);
}

export function registerInspectCommand(program: Command): void {
  withInputOptions(
    program
      .command('inspect')
      .description('say what trace files hold: format, traces, spans, services, problems')
      .argument('<file...>', 'trace files (JSON, NDJSON, protobuf, CSV; gzip is read transparently)')
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (files: string[], flags: InputFlags & { json?: boolean }) => {
    const summary = await inspectFiles(files, flags);
    if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else printHuman(summary);
  });
}
