import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeOtlpProto, encodeOtlpProto } from '../../src/formats/otlp-proto.js';
import { otlpJson } from '../../src/formats/otlp-json.js';
import { fixture, readDoc } from './helpers/read-doc.js';

describe('otlp-proto', () => {
  it('round-trips encode -> decode -> read to the same spans as the JSON path', () => {
    for (const name of ['otlp/shop.json', 'jaeger-v3/get-trace.json']) {
      const doc = fixture(name);
      const viaJson = readDoc(
        otlpJson,
        name.startsWith('jaeger-v3') ? (doc as { result: unknown }).result : doc,
      );
      const viaProto = readDoc(otlpJson, decodeOtlpProto(encodeOtlpProto(doc)));
      expect(viaProto.spans.length).toBeGreaterThan(0);
      // shop.json has JSON-number nanos above 2^53: both paths must put them on the same µs.
      expect(viaProto.spans).toEqual(viaJson.spans);
    }
  });

  it('decodes ids as lowercase hex, nanos as decimal strings and enums as numbers', () => {
    const doc = decodeOtlpProto(encodeOtlpProto(fixture('otlp/shop.json'))) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const s = doc.resourceSpans[0].scopeSpans[0].spans[1];
    expect(s.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(s.parentSpanId).toBe('eee19b7ec3c1b174');
    expect(s.kind).toBe(3);
    expect(s.startTimeUnixNano).toBe('1544712660010000000');
    expect(s.status).toEqual({ code: 2, message: 'connection reset' });
    // The legacy key comes back as scopeSpans.
    expect(doc.resourceSpans[1].scopeSpans[0].spans[0].spanId).toBe('eee19b7ec3c1b176');
  });

  it('keeps int64 and fixed64 extremes exact', () => {
    const doc = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '0102030405060708090a0b0c0d0e0f10',
                  spanId: '0102030405060708',
                  startTimeUnixNano: '18446744073709551615',
                  attributes: [
                    { key: 'min', value: { intValue: '-9223372036854775808' } },
                    { key: 'zero', value: { intValue: '0' } },
                    { key: 'no', value: { boolValue: false } },
                    { key: 'blank', value: { stringValue: '' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const back = decodeOtlpProto(encodeOtlpProto(doc)) as typeof doc;
    const s = back.resourceSpans[0].scopeSpans[0].spans[0];
    expect(s.startTimeUnixNano).toBe('18446744073709551615');
    expect(s.attributes).toEqual(doc.resourceSpans[0].scopeSpans[0].spans[0].attributes);
  });

  it('rejects empty, non-trace and random buffers with a clear error', () => {
    expect(() => decodeOtlpProto(new Uint8Array())).toThrow(/no resourceSpans/);
    expect(() => decodeOtlpProto(Buffer.from('{"resourceSpans":[]}'))).toThrow(
      /not an OTLP ExportTraceServiceRequest/,
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4096 }), (bytes) => {
        expect(() => decodeOtlpProto(bytes)).toThrow(/not an OTLP ExportTraceServiceRequest/);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses to encode ids that are not ids', () => {
    const bad = {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'nope', spanId: '0000000000000001' }] }] }],
    };
    expect(() => encodeOtlpProto(bad)).toThrow(
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId "nope"/,
    );
  });
});
