import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadModelSet } from '../registry/model-dir.js';
import { IncidentRun } from '../incidents/incident-run.js';
import { detectSignals } from '../incidents/signals.js';
import type { Incident } from '../incidents/incident.js';
import { withInputOptions, type InputFlags } from './input-options.js';
import { scoreFiles } from './score.js';

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
    const run = new IncidentRun(model.baseline);
    const r = await scoreFiles(files, flags, model, (s, trace) => run.add(trace, s));
    model.dispose();
    const incidents = run.incidents((buckets) => detectSignals(buckets));
    if (flags.output)
      writeFileSync(flags.output, JSON.stringify(incidents.map(incidentOutput), null, 2) + '\n');
    process.stdout.write(summary(incidents));
    if (!flags.quiet)
      process.stderr.write(
        `${r.traces} traces, ${r.anomalous} anomalous, ${incidents.length} incident(s)${flags.output ? `, written to ${flags.output}` : ''}\n`,
      );
  });
}
