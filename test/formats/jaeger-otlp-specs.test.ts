import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jaegerV1 } from '../../src/formats/jaeger-v1.js';
import { jaegerV3 } from '../../src/formats/jaeger-v3.js';
import { otlpJson } from '../../src/formats/otlp-json.js';
import { decodeOtlpProto, encodeOtlpProto } from '../../src/formats/otlp-proto.js';
import { readTraceFiles } from '../../src/formats/read.js';
import { jsonFormatFor } from '../../src/formats/detect.js';
import type { JsonFormat } from '../../src/formats/types.js';
import { readDoc } from './helpers/read-doc.js';

/**
 * Upstream's recorded payloads (../shared/specs, see its README), read when present. Expected counts come from
 * the README's descriptions and from reading each file by hand, noted per case; not from this reader's output.
 */
const SPECS = process.env.TRACEHOUND_SPECS ?? join(import.meta.dirname, '../../../shared/specs');
const have = existsSync(SPECS);
const load = (rel: string): unknown => JSON.parse(readFileSync(join(SPECS, rel), 'utf8'));

interface Case {
  file: string;
  format: JsonFormat;
  spans: number;
  /** Spans left after normalizeTrace (exact duplicate records dropped). */
  normalized?: number;
  traces: number;
  services: string[];
}

const CASES: Case[] = [
  // README 1c + the file: one trace, 5 span records; ...02 appears twice with different operations, so it is a
  // clash to rename, not a copy to drop. Processes p1/p2.
  {
    file: 'jaeger/v1-json/ui_01.json',
    format: jaegerV1,
    spans: 5,
    normalized: 5,
    traces: 1,
    services: ['service-x', 'service-y'],
  },
  // The envelope holds one trace whose two span records are byte-identical: one survives normalization.
  {
    file: 'jaeger/v1-json/otlp2jaeger-out.json',
    format: jaegerV1,
    spans: 2,
    normalized: 1,
    traces: 1,
    services: ['telemetrygen'],
  },
  // README: 17 spans, api-gateway and customers-service.
  {
    file: 'jaeger/v1-json/jaeger-ui/spanAmongEachOtherGroupedAndSpans.json',
    format: jaegerV1,
    spans: 17,
    traces: 1,
    services: ['api-gateway', 'customers-service'],
  },
  // README: 5 spans, 2 services.
  {
    file: 'jaeger/v1-json/jaeger-ui/testTraceNormal.json',
    format: jaegerV1,
    spans: 5,
    traces: 1,
    services: ['api-gateway', 'customers-service'],
  },
  // README: 57 spans, 10 services.
  {
    file: 'jaeger/v1-json/jaeger-ui/genaiTestTrace.json',
    format: jaegerV1,
    spans: 57,
    traces: 1,
    services: [
      'api-edge',
      'auth-service',
      'coding-agent',
      'graphql-gateway',
      'k8s-api',
      'mcp-gateway',
      'metrics-backend',
      'summarizer-agent',
      'trace-store',
      'vector-store',
    ],
  },
  // The official example: one server span of my.service.
  { file: 'otlp/examples/trace.json', format: otlpJson, spans: 1, traces: 1, services: ['my.service'] },
  // Two scopes of two spans each, trace ids ...01 0000... and ...02 0000....
  {
    file: 'jaeger/otlp-json/otel_traces_01.json',
    format: otlpJson,
    spans: 4,
    traces: 2,
    services: ['service-x'],
  },
  // The same span twice (the /api/transform input of otlp2jaeger-out.json).
  {
    file: 'jaeger/v1-json/otlp2jaeger-in.json',
    format: otlpJson,
    spans: 2,
    normalized: 1,
    traces: 1,
    services: ['telemetrygen'],
  },
  // README: no service.name, one span.
  {
    file: 'jaeger/v1-json/jaeger-ui/otlp2jaeger-in-error.json',
    format: otlpJson,
    spans: 1,
    traces: 1,
    services: ['unknown_service'],
  },
  // Several scopes of one resource, example-trace: 4 spans in one trace.
  {
    file: 'jaeger/v1-json/jaeger-ui/otlp2jaeger-multi-in-combined.json',
    format: otlpJson,
    spans: 4,
    traces: 1,
    services: ['example-trace'],
  },
  // api_v3 snapshots: one span "foobar", empty resource and scope.
  {
    file: 'jaeger/api_v3/responses/GetTrace.json',
    format: jaegerV3,
    spans: 1,
    traces: 1,
    services: ['unknown_service'],
  },
  {
    file: 'jaeger/api_v3/responses/FindTraces.json',
    format: jaegerV3,
    spans: 1,
    traces: 1,
    services: ['unknown_service'],
  },
  // README 1d: 3 services, 5 spans.
  {
    file: 'jaeger/integration-fixtures/traces/example_trace.json',
    format: otlpJson,
    spans: 5,
    traces: 1,
    services: ['example-service-1', 'example-service-2', 'example-service-3'],
  },
];

describe.skipIf(!have)('Jaeger and OTLP spec payloads', () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.spans} spans of ${c.services.join(', ')}`, () => {
      const doc = load(c.file);
      expect(jsonFormatFor(doc)?.name).toBe(c.format.name);
      const r = readDoc(c.format, doc);
      expect(r.skips).toEqual([]);
      expect(r.spans).toHaveLength(c.spans);
      expect(r.traces.size).toBe(c.traces);
      expect([...new Set(r.spans.map((s) => s.service))].sort()).toEqual(c.services);
      let total = 0;
      for (const t of r.traces.values()) total += t.spans.length;
      expect(total).toBe(c.normalized ?? c.spans);
      if (c.format !== jaegerV1) {
        const viaProto = readDoc(otlpJson, decodeOtlpProto(encodeOtlpProto(doc)));
        expect(viaProto.spans).toEqual(r.spans);
      }
    });
  }

  it('ui_01.json: references, typed tags and warnings as documented', () => {
    const r = readDoc(jaegerV1, load('jaeger/v1-json/ui_01.json'));
    const byOp = (op: string) => r.spans.find((s) => s.operation === op)!;
    expect(byOp('some-operation').attributes).toMatchObject({
      'peer.ipv4': 23456,
      error: true,
      temperature: 72.5,
      javascript_limit: '9223372036854775222',
      blob: 'AAAwOQ==',
    });
    expect(byOp('some-operation').error).toBe(true);
    expect(byOp('test-general-conversion').events).toBe(2);
    // span 4: CHILD_OF into trace ff, CHILD_OF ...02, FOLLOWS_FROM ...02.
    expect(byOp('reference-test')).toMatchObject({
      parentId: '0000000000000002',
      links: ['00000000000000ff', '0000000000000002'],
    });
    expect(byOp('preserveParentID-test').parentId).toBe('0000000000000004');
    expect(r.spans[0].traceId).toBe('00000000000000000000000000000001');
    expect(r.warnings.some((w) => w.endsWith('some trace warning'))).toBe(true);
  });

  it('spanAmongEachOtherGroupedAndSpans.json: unpadded 31/15-character ids are padded', () => {
    const r = readDoc(jaegerV1, load('jaeger/v1-json/jaeger-ui/spanAmongEachOtherGroupedAndSpans.json'));
    expect(r.traces.has('0df84e36b9e2ee3815d07f0867a5be1f')).toBe(true);
    expect(r.byId.has('0a68c6983a6d81a2')).toBe(true);
    const t = r.traces.get('0df84e36b9e2ee3815d07f0867a5be1f')!;
    expect(t.orphans).toEqual([]);
    expect(t.rootMissing).toBe(false);
  });

  it('every integration fixture is read whole', () => {
    const dir = join(SPECS, 'jaeger/integration-fixtures/traces');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBe(32);
    for (const f of files) {
      const doc = load(`jaeger/integration-fixtures/traces/${f}`) as {
        resourceSpans: { scopeSpans: { spans: unknown[] }[] }[];
      };
      // The expectation counts the spans arrays of the file itself.
      let want = 0;
      for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) want += ss.spans.length;
      const r = readDoc(otlpJson, doc);
      expect(r.skips, f).toEqual([]);
      expect(r.spans.length, f).toBe(want);
      expect(
        r.spans.every((s) => s.service !== 'unknown_service'),
        f,
      ).toBe(true);
    }
  });

  it('readTraceFiles detects and reads the Jaeger and OTLP files', async () => {
    const files = CASES.map((c) => join(SPECS, c.file));
    let spans = 0;
    const report = await readTraceFiles(files, {}, (t) => (spans += t.spans.length));
    expect(report.skipped).toBe(0);
    expect(spans).toBe(CASES.reduce((n, c) => n + (c.normalized ?? c.spans), 0));
    for (const c of CASES) expect(report.formats.get(join(SPECS, c.file))).toBe(c.format.name);
  });
});
