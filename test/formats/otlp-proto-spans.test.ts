import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeOtlpProto, encodeOtlpProto } from '../../src/formats/otlp-proto.js';
import { otlpJson } from '../../src/formats/otlp-json.js';
import { readOtlpProtoSpans } from '../../src/formats/otlp-proto-spans.js';
import { ReadReport } from '../../src/formats/report.js';
import { InputError } from '../../src/formats/types.js';
import { toOtlpDocument } from '../../src/formats/write/otlp-json.js';
import { generate, getScenario } from '../../src/sim/index.js';
import { keptResource, keptSpanAttributes } from '../../src/trace/kept-attributes.js';
import type { RawSpan } from '../../src/trace/span.js';
import { ANY_TIME, timeProblem, windowAround, type TimeWindow } from '../../src/trace/time-window.js';
import { fixture } from './helpers/read-doc.js';

/**
 * The push path's direct protobuf reader against the general one (protobufjs to proto-JSON, then the OTLP
 * JSON reader, then the push window): the same spans as the span buffer keeps them, the same skips with
 * the same messages, the same notes.
 */

/** What the span buffer keeps of a span (see store/span-buffer.ts). */
function buffered(s: RawSpan, keep: readonly string[]) {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentId: s.parentId,
    service: s.service,
    operation: s.operation,
    kind: s.kind,
    start: s.start,
    duration: s.duration,
    error: s.error,
    statusMessage: s.statusMessage,
    events: s.events,
    instance: s.instance,
    attributes: keptSpanAttributes(s.attributes, keep),
    resource: keptResource(s.resource),
  };
}

function general(body: Buffer, window: TimeWindow) {
  const report = new ReadReport();
  const spans: RawSpan[] = [];
  const doc = decodeOtlpProto(body, { declared: true });
  otlpJson.read(
    doc,
    {
      span(s) {
        const p = timeProblem(s.start, s.duration, window);
        if (p) report.skip('request body', `span ${s.spanId} of trace ${s.traceId}`, p.message, p.reason);
        else spans.push(s);
      },
      skip: (where, message, reason) => report.skip('request body', where, message, reason),
      warn: (m) => report.note(m),
    },
    '$',
  );
  return { spans, report };
}

function same(body: Buffer, window: TimeWindow = ANY_TIME, keep: readonly string[] = []) {
  const want = general(body, window);
  const got = readOtlpProtoSpans(body, { window, keep });
  expect(got.spans.map((s) => buffered(s, keep))).toEqual(want.spans.map((s) => buffered(s, keep)));
  expect(got.report.skipped).toBe(want.report.skipped);
  expect([...got.report.skippedBy]).toEqual([...want.report.skippedBy]);
  expect(got.report.skipSamples).toEqual(want.report.skipSamples);
  expect(got.report.warnings).toEqual(want.report.warnings);
  return got;
}

const NOW = Date.UTC(2024, 5, 1);
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const kv = (key: string, value: object) => ({ key, value });

describe('readOtlpProtoSpans', () => {
  it('reads simulated traffic (errors, resources, kept attributes) as the general reader does', () => {
    const base = getScenario('shop-errors');
    const faults = base.faults.map((f) => ({ ...f, startS: 0, endS: 1e7, intensity: 0.2 }));
    const { traces } = generate({ ...base, faults }, { seed: 3, traces: 300 });
    const body = Buffer.from(encodeOtlpProto(toOtlpDocument(traces.flat())));
    const got = same(body);
    expect(got.spans.length).toBe(traces.flat().length);
    expect(got.spans.some((s) => s.error)).toBe(true);
    expect(got.spans.some((s) => Object.keys(keptSpanAttributes(s.attributes) ?? {}).length > 0)).toBe(true);
    // gzip, as collectors send it.
    expect(readOtlpProtoSpans(gzipSync(body), { window: ANY_TIME }).spans).toEqual(got.spans);
  });

  it('reads the OTLP fixtures, legacy instrumentationLibrarySpans included', () => {
    for (const name of ['otlp/shop.json', 'jaeger-v3/get-trace.json'])
      expect(same(Buffer.from(encodeOtlpProto(fixture(name)))).spans.length).toBeGreaterThan(0);
  });

  it('skips, warns and infers failures the same way, span by span', () => {
    const t = '0af7651916cd43dd8448eb211c80319c';
    const span = (spanId: string, over: object = {}) => ({
      traceId: t,
      spanId,
      name: 'op',
      kind: 2,
      startTimeUnixNano: ns(NOW - 1000),
      endTimeUnixNano: ns(NOW - 980),
      ...over,
    });
    const doc = {
      resourceSpans: [
        {
          resource: {
            attributes: [
              kv('process.executable.name', { stringValue: 'java' }),
              kv('k8s.pod.name', { stringValue: 'cart-1' }),
              kv('long', { stringValue: 'x'.repeat(200) }),
            ],
          },
          scopeSpans: [
            {
              scope: { name: 'lib', version: '1.0' },
              spans: [
                span('0000000000000001', {
                  parentSpanId: '0000000000000000',
                  attributes: [
                    kv('peer', { kvlistValue: { values: [kv('service', { stringValue: 'redis' })] } }),
                    kv('http.url', { stringValue: 'http://x' }),
                    kv('session.id', { intValue: '12' }),
                    kv('error.type', { stringValue: '' }),
                    kv('big', { intValue: '9223372036854775807' }),
                  ],
                }),
                span('0000000000000002', {
                  events: [
                    { name: 'log' },
                    {
                      name: 'exception',
                      attributes: [kv('exception.type', { stringValue: 'IOError' })],
                    },
                  ],
                }),
                span('0000000000000003', {
                  attributes: [kv('error.type', { stringValue: 'timeout' })],
                  status: { code: 1 },
                }),
                span('0000000000000004', { attributes: [kv('error.type', { stringValue: 'timeout' })] }),
                span('0000000000000005', { status: { code: 2, message: 'boom' }, kind: 9 }),
                span('abcd'), // short: padded
                span('0000000000000000'), // zero: skipped
                span('0000000000000007', { traceId: '00000000000000000000000000000000' }),
                span('0000000000000008', { endTimeUnixNano: ns(NOW - 2000) }), // ends before it starts
                span('0000000000000009', { startTimeUnixNano: '0', endTimeUnixNano: '0' }),
                span('000000000000000a', { parentSpanId: 'ff' }),
                span('000000000000000b', { startTimeUnixNano: ns(NOW - 30 * 86_400_000) }),
                span('000000000000000c', { endTimeUnixNano: ns(NOW + 2 * 86_400_000) }),
              ],
            },
          ],
        },
        { resource: { attributes: [kv('service.name', { stringValue: 'no-scopes' })] } },
        {
          resource: { attributes: [kv('service.name', { stringValue: 'old' })] },
          instrumentationLibrarySpans: [{ spans: [span('000000000000000d')] }],
        },
      ],
    };
    const body = Buffer.from(encodeOtlpProto(doc));
    const got = same(body, windowAround(NOW));
    expect(got.report.skipped).toBe(5);
    expect(got.spans.map((s) => s.spanId)).toContain('000000000000abcd');
    // The configured session attributes (and the scope, when asked for) are read as well.
    same(body, windowAround(NOW), ['big', 'otel.scope.name', 'peer']);
  });

  it('refuses what is not an export, whole', () => {
    const good = Buffer.from(
      encodeOtlpProto(toOtlpDocument(generate('shop-normal', { seed: 1, traces: 2 }).traces.flat())),
    );
    for (const body of [
      Buffer.from('hello, not protobuf'),
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]),
      good.subarray(0, good.length - 3),
      Buffer.from([0x12, 0x00]),
    ])
      expect(() => readOtlpProtoSpans(body, { window: ANY_TIME }), String(body.length)).toThrow(InputError);
    expect(() => readOtlpProtoSpans(Buffer.from([0x12, 0x00]), { window: ANY_TIME })).toThrow(
      /not an OTLP ExportTraceServiceRequest: it holds no resourceSpans/,
    );
    expect(readOtlpProtoSpans(Buffer.alloc(0), { window: ANY_TIME }).spans).toEqual([]);
  });
});
