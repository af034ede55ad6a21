/**
 * `npm run eval -- otel-app [--runs N] [--out DIR]`: the long plan, repeated (3 times by default: detection
 * swung between identical runs before), written as DIR/results/otel-app.json and DIR/otel-app.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECOVERY_MS } from './evaluate.js';
import type { RunResult } from './harness.js';
import { LONG_PLAN } from './plans.js';
import { markdownReport } from './report.js';
import { runPlan } from './run.js';

export const OTEL_APP_SUITE = 'otel-app';

export interface OtelAppResult {
  suite: typeof OTEL_APP_SUITE;
  plan: typeof LONG_PLAN;
  runs: RunResult[];
}

export function otelAppMarkdown(r: OtelAppResult): string {
  const faults = r.plan.faults
    .map((f) => `${f.name} (${f.service}, ${f.startS}–${f.startS + f.durationS} s)`)
    .join('; ');
  return [
    `## OpenTelemetry testbed (testbed/otel-app), ${r.runs.length} run(s) of the long plan`,
    `Seven Node services with the stock OpenTelemetry JS SDK (OTLP protobuf, OTLP JSON and Zipkin exporters) ` +
      `push to \`tracehound serve\` at ${r.plan.rate} requests/s; Tracehound settings ${JSON.stringify(r.plan.env)}. ` +
      `Faults, in seconds after the first judged minute with trained models: ${faults}. ` +
      `Definitions in testbed/otel-app/evaluate.ts: an own incident overlaps its fault, names the faulty service ` +
      `first and started no earlier than the minute before the fault's; fault-free stretches start once every entry ` +
      `endpoint has a model and leave ${RECOVERY_MS / 1000} s around each fault. Target: every fault its own ` +
      `incident, fault-free anomalies <= 2% of requests, no false or stray incident.`,
    markdownReport(r.runs),
  ].join('\n\n');
}

/** DIR/otel-app.md from a result (also what `eval report` rebuilds from the saved JSON). */
export function writeOtelAppMarkdown(out: string, result: OtelAppResult): void {
  writeFileSync(join(out, `${OTEL_APP_SUITE}.md`), `# ${OTEL_APP_SUITE}\n\n${otelAppMarkdown(result)}\n`);
}

export async function runOtelAppEval(o: { runs: number; out: string }): Promise<OtelAppResult> {
  const result: OtelAppResult = {
    suite: OTEL_APP_SUITE,
    plan: LONG_PLAN,
    runs: await runPlan('long', o.runs),
  };
  mkdirSync(join(o.out, 'results'), { recursive: true });
  writeFileSync(join(o.out, 'results', `${OTEL_APP_SUITE}.json`), JSON.stringify(result) + '\n');
  writeOtelAppMarkdown(o.out, result);
  return result;
}
