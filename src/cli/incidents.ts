import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadModelSet } from '../registry/model-dir.js';
import { OfflineIncidents } from '../incidents/offline-incidents.js';
import type { Incident } from '../incidents/incident.js';
import type { Trace } from '../trace/trace.js';
import { withInputOptions, type InputFlags } from './input-options.js';
import { readWithProgress } from './read-files.js';

/** Traces scored at once: memory stays bounded by the batch however large the input. */
const BATCH = 1000;

/** The offline contract of `--output`: one object per incident, root causes most likely first. */
export function incidentOutput(i: Incident) {
  return {
    id: i.id,
    start: i.start,
    end: i.end,
    endpoints: i.endpoints,
    signals: i.signals,
    traceIds: i.traceIds,
    traceCount: i.traceCount,
    rootCauses: i.rootCauses,
  };
}

function summary(incidents: readonly Incident[]): string {
  if (incidents.length === 0) return 'no incidents\n';
  const lines = incidents.map((i) => {
    const top = i.rootCauses[0];
    const cause = top
      ? `${top.service}${top.operation ? `:${top.operation}` : ''} (${(top.score * 100).toFixed(0)}%)`
      : 'no cause';
    const signals = [...new Set(i.signals.map((s) => s.kind))].join(',');
    return `${i.start.slice(0, 19)}  ${i.end.slice(11, 19)}  ${String(i.traceCount).padStart(6)}  ${cause}  [${signals}]`;
  });
  return `start                end       traces  root cause  [signals]\n${lines.join('\n')}\n`;
}

export function registerIncidentsCommand(program: Command): void {
  withInputOptions(
    program
      .command('incidents')
      .description('group anomalous traces into incidents and rank their root causes')
      .argument('<file...>', 'trace files')
      .requiredOption('--model <dir>', 'model set written by tracehound train')
      .option('--output <file>', 'write the incidents as a JSON array here'),
  ).action(async (files: string[], flags: InputFlags & { model: string; output?: string }) => {
    const model = await loadModelSet(flags.model);
    const run = new OfflineIncidents(model);
    let batch: Trace[] = [];
    await readWithProgress(files, flags, (t) => {
      batch.push(t);
      if (batch.length >= BATCH) {
        run.addBatch(batch);
        batch = [];
      }
    });
    run.addBatch(batch);
    model.dispose();
    const incidents = await run.incidents();
    if (flags.output)
      writeFileSync(flags.output, JSON.stringify(incidents.map(incidentOutput), null, 2) + '\n');
    process.stdout.write(summary(incidents));
    if (!flags.quiet)
      process.stderr.write(
        `${run.traces} traces, ${run.anomalous} anomalous, ${incidents.length} incident(s)${flags.output ? `, written to ${flags.output}` : ''}\n`,
      );
  });
}
