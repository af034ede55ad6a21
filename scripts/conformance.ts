/**
 * Conformance: every trace-holding file under ../shared/specs is read with the right counts.
 * The expected numbers were derived by reading each file by hand (and with jq), not from our reader:
 * the notes say why a count differs from the raw record count.
 *
 *   npx tsx scripts/conformance.ts [--specs DIR]
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspectFiles } from '../src/cli/inspect.js';

interface Expectation {
  file: string;
  format: string;
  traces: number;
  spans: number;
  services?: string[];
  note?: string;
}

const ONE_SPAN_FIXTURES = [
  'default',
  'dur_trace',
  'link_attributes_trace',
  'log_tags_trace',
  'max_dur_trace',
  'multi_spot_tags_trace',
  'multiple1_trace',
  'multiple2_trace',
  'multiple3_trace',
  'multispottag_dur_trace',
  'multispottag_maxdur_trace',
  'multispottag_opname_dur_trace',
  'multispottag_opname_maxdur_trace',
  'multispottag_opname_trace',
  'opname_dur_trace',
  'opname_trace',
  'process_tags_trace',
  'scope_attributes_trace',
  'scope_name_version_trace',
  'span_tags_trace',
  'tags_dur_trace',
  'tags_escaped_operator_trace_1',
  'tags_escaped_operator_trace_2',
  'tags_maxdur_trace',
  'tags_opname_dur_trace',
  'tags_opname_maxdur_trace',
  'tags_opname_trace',
  'tags_wildcard_regex_1',
  'tags_wildcard_regex_2',
];

export const EXPECTED: Expectation[] = [
  // Jaeger v1 (UI JSON)
  {
    file: 'jaeger/v1-json/ui_01.json',
    format: 'jaeger-v1',
    traces: 1,
    spans: 5,
    services: ['service-x', 'service-y'],
    note: 'span 2 appears twice with different operations: both kept, one renamed',
  },
  {
    file: 'jaeger/v1-json/otlp2jaeger-out.json',
    format: 'jaeger-v1',
    traces: 1,
    spans: 1,
    services: ['telemetrygen'],
    note: 'the two records are identical copies of one span: merged',
  },
  { file: 'jaeger/v1-json/jaeger-ui/testTraceNormal.json', format: 'jaeger-v1', traces: 1, spans: 5 },
  {
    file: 'jaeger/v1-json/jaeger-ui/spanAmongEachOtherGroupedAndSpans.json',
    format: 'jaeger-v1',
    traces: 1,
    spans: 17,
    services: ['api-gateway', 'customers-service'],
    note: 'unpadded 31-char trace id and 15-char span id',
  },
  { file: 'jaeger/v1-json/jaeger-ui/genaiTestTrace.json', format: 'jaeger-v1', traces: 1, spans: 57 },
  {
    file: 'jaeger/v1-json/domain_01.api_v2-protojson.json',
    format: 'jaeger-api-v2',
    traces: 1,
    spans: 5,
    services: ['service-x', 'service-y'],
    note: 'the same trace as ui_01.json in api_v2 proto-JSON',
  },
  // OTLP JSON
  {
    file: 'jaeger/v1-json/otlp2jaeger-in.json',
    format: 'otlp-json',
    traces: 1,
    spans: 1,
    note: 'two identical span records: merged',
  },
  {
    file: 'jaeger/v1-json/jaeger-ui/otlp2jaeger-multi-in-combined.json',
    format: 'otlp-json',
    traces: 1,
    spans: 4,
  },
  {
    file: 'jaeger/v1-json/jaeger-ui/otlp2jaeger-in-error.json',
    format: 'otlp-json',
    traces: 1,
    spans: 1,
    services: ['unknown_service'],
    note: 'no service.name: the OTel default, with a warning',
  },
  {
    file: 'jaeger/otlp-json/otel_traces_01.json',
    format: 'otlp-json',
    traces: 2,
    spans: 4,
    services: ['service-x'],
  },
  { file: 'otlp/examples/trace.json', format: 'otlp-json', traces: 1, spans: 1, services: ['my.service'] },
  {
    file: 'jaeger/integration-fixtures/traces/example_trace.json',
    format: 'otlp-json',
    traces: 1,
    spans: 5,
    services: ['example-service-1', 'example-service-2', 'example-service-3'],
  },
  {
    file: 'jaeger/integration-fixtures/traces/multi_index_trace.json',
    format: 'otlp-json',
    traces: 1,
    spans: 2,
  },
  {
    file: 'jaeger/integration-fixtures/traces/opname_maxdur_trace.json',
    format: 'otlp-json',
    traces: 1,
    spans: 2,
  },
  ...ONE_SPAN_FIXTURES.map((f) => ({
    file: `jaeger/integration-fixtures/traces/${f}.json`,
    format: 'otlp-json',
    traces: 1,
    spans: 1,
  })),
  // Jaeger api_v3
  { file: 'jaeger/api_v3/responses/GetTrace.json', format: 'jaeger-v3', traces: 1, spans: 1 },
  { file: 'jaeger/api_v3/responses/FindTraces.json', format: 'jaeger-v3', traces: 1, spans: 1 },
  // Zipkin v2
  {
    file: 'zipkin/v2-json/smartthings-mobile-web-install.json',
    format: 'zipkin-v2',
    traces: 1,
    spans: 957,
    note: '1041 records; 84 are kind-less, untimed pieces of a server span (same id and endpoint): merged',
  },
  { file: 'zipkin/v2-json/smartthings-oauth-authorization.json', format: 'zipkin-v2', traces: 1, spans: 175 },
  {
    file: 'zipkin/v2-json/ascend.json',
    format: 'zipkin-v2',
    traces: 1,
    spans: 8,
    services: ['auth-service', 'content-service', 'mobile-gateway'],
  },
  { file: 'zipkin/v2-json/messaging-kafka.json', format: 'zipkin-v2', traces: 1, spans: 28 },
  { file: 'zipkin/v2-json/messaging.json', format: 'zipkin-v2', traces: 1, spans: 4 },
  { file: 'zipkin/v2-json/messaging2.json', format: 'zipkin-v2', traces: 1, spans: 11 },
  { file: 'zipkin/v2-json/simple-db-p6.json', format: 'zipkin-v2', traces: 1, spans: 5 },
  {
    file: 'zipkin/v2-json/envoy.json',
    format: 'zipkin-v2',
    traces: 1,
    spans: 1,
    note: 'no localEndpoint.serviceName',
  },
  {
    file: 'zipkin/v2-json/skew.json',
    format: 'zipkin-v2',
    traces: 1,
    spans: 4,
    services: ['servicea', 'serviceb'],
    note: 'one shared client/server id: split, two spans',
  },
  { file: 'zipkin/v2-json/yelp.json', format: 'zipkin-v2', traces: 1, spans: 16 },
  { file: 'zipkin/v2-json/single-span/zipkin2-client.json', format: 'zipkin-v2', traces: 1, spans: 1 },
  {
    file: 'zipkin/v2-json/single-span/zipkin2-chinese.json',
    format: 'zipkin-v2',
    traces: 1,
    spans: 1,
    services: ['订单维护服务'],
  },
  // Zipkin v1
  {
    file: 'zipkin/v1-json/zipkin_v1_single_batch.json',
    format: 'zipkin-v1',
    traces: 1,
    spans: 5,
    note: 'two RPCs reported as client and server records with one id each (4 spans) and one local span',
  },
];

export interface ConformanceResult {
  file: string;
  ok: boolean;
  problems: string[];
}

export async function runConformance(specsDir: string): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const e of EXPECTED) {
    const path = join(specsDir, e.file);
    const problems: string[] = [];
    try {
      const s = await inspectFiles([path], { quiet: true });
      if (s.format !== e.format) problems.push(`format ${s.format}, expected ${e.format}`);
      if (s.traces !== e.traces) problems.push(`traces ${s.traces}, expected ${e.traces}`);
      if (s.spans !== e.spans) problems.push(`spans ${s.spans}, expected ${e.spans}`);
      if (e.services && JSON.stringify(s.services) !== JSON.stringify([...e.services].sort()))
        problems.push(`services ${JSON.stringify(s.services)}, expected ${JSON.stringify(e.services)}`);
      if (s.skipped !== 0) problems.push(`${s.skipped} records skipped: ${s.warnings.join('; ')}`);
    } catch (err) {
      problems.push(`failed: ${(err as Error).message}`);
    }
    results.push({ file: e.file, ok: problems.length === 0, problems });
  }
  return results;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--specs');
  const specs = resolve(i > 0 ? process.argv[i + 1] : '../shared/specs');
  if (!existsSync(specs)) {
    console.error(`conformance: ${specs} not found (pass --specs DIR)`);
    process.exit(2);
  }
  const results = await runConformance(specs);
  for (const r of results)
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.file}${r.ok ? '' : `: ${r.problems.join('; ')}`}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`conformance: ${results.length - failed} passed, ${failed} failed`);
  if (failed > 0) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
