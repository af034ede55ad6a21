import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { Aggregates, sumQuality } from '../traffic/minute-buckets.js';
import { qualityReport } from '../traffic/quality.js';
import { MINUTE_US } from '../traffic/minute.js';
import { buildTopology } from '../traffic/service-graph.js';
import { errorOnly } from '../scoring/error-only.js';
import { loadModelSet } from '../registry/model-dir.js';
import { withInputOptions, type InputFlags } from './input-options.js';
import { readWithProgress } from './read-files.js';
import { scoreFiles } from './score.js';

type Flags = InputFlags & { model?: string; output?: string; quality?: boolean };

/**
 * The aggregates of trace files, as the service builds them from scored batches. With a model set the
 * traces are scored (anomalous counts and heat); without one, a trace counts as anomalous when one of its
 * spans failed, which is what the service reports for an endpoint that has no model yet.
 */
export async function aggregateFiles(files: string[], flags: Flags): Promise<Aggregates> {
  const agg = new Aggregates();
  if (flags.model) {
    const model = await loadModelSet(flags.model);
    try {
      await scoreFiles(files, flags, model, (s, trace) => agg.add(trace, s));
    } finally {
      model.dispose();
    }
  } else await readWithProgress(files, flags, (t) => agg.add(t, errorOnly(t)));
  return agg;
}

export function registerTopologyCommand(program: Command): void {
  withInputOptions(
    program
      .command('topology')
      .description(
        'the service topology of trace files: services and caller -> callee edges with calls, errors, latency and anomaly heat (JSON, as GET /v1/topology)',
      )
      .argument('<file...>', 'trace files')
      .option('--model <dir>', 'score the traces with this model set (anomalous counts, heat)')
      .option('--quality', 'print the trace-quality report per service instead (as GET /v1/quality)')
      .option('--output <file>', 'write the JSON here instead of stdout'),
  ).action(async (files: string[], flags: Flags) => {
    const agg = await aggregateFiles(files, flags);
    const buckets = agg.buckets();
    const from = buckets.length ? buckets[0].minute : 0;
    const to = buckets.length ? buckets[buckets.length - 1].minute + MINUTE_US - 1 : 0;
    const body = flags.quality
      ? qualityReport(sumQuality(buckets), from, to)
      : buildTopology(buckets, { from, to });
    const text = JSON.stringify(body, null, 2) + '\n';
    if (flags.output) writeFileSync(flags.output, text);
    else process.stdout.write(text);
  });
}
