import { describe, expect, it } from 'vitest';
import { jaegerApiV2, parseGoDuration, parseRfc3339Micros } from '../../src/formats/jaeger-api-v2.js';
import { jsonFormatFor } from '../../src/formats/detect.js';
import type { RawSpan } from '../../src/trace/span.js';
import type { SpanSink } from '../../src/formats/types.js';

function collect(doc: unknown) {
  const spans: RawSpan[] = [];
  const skipped: string[] = [];
  const warnings: string[] = [];
  const sink: SpanSink = {
    span: (s) => spans.push(s),
    skip: (w, m) => skipped.push(`${w}: ${m}`),
    warn: (m) => warnings.push(m),
  };
  jaegerApiV2.read(doc, sink, '$');
  return { spans, skipped, warnings };
}

// Trace id 0x...0a, span ids 0x10 and 0x11, written by hand in the api_v2 proto-JSON encoding.
const doc = {
  spans: [
    {
      traceId: 'AAAAAAAAAAAAAAAAAAAACg==',
      spanId: 'AAAAAAAAABA=',
      operationName: 'GET /cart',
      startTime: '2024-03-01T10:00:00.123456789+01:00',
      duration: '1.5ms',
      tags: [
        { key: 'span.kind', vStr: 'server' },
        { key: 'big', vType: 'INT64', vInt64: '9223372036854775000' },
      ],
      processId: 'p1',
    },
    {
      traceId: 'AAAAAAAAAAAAAAAAAAAACg==',
      spanId: 'AAAAAAAAABE=',
      operationName: 'SELECT',
      references: [{ traceId: 'AAAAAAAAAAAAAAAAAAAACg==', spanId: 'AAAAAAAAABA=' }],
      startTime: '2024-03-01T09:00:00.124Z',
      duration: '250us',
      tags: [{ key: 'error', vType: 'BOOL', vBool: true }],
      process: { serviceName: 'db', tags: [{ key: 'hostname', vStr: 'db-0' }] },
      logs: [{}, {}],
    },
    { traceId: 'not base64!', spanId: 'AAAAAAAAABI=', operationName: 'x', startTime: '2024-03-01T09:00:00Z' },
  ],
  processMap: [{ processId: 'p1', process: { serviceName: 'cart' } }],
  warnings: ['clock skew seen'],
};

describe('jaeger api_v2 proto-JSON', () => {
  it('parses Go durations and RFC 3339 times to µs', () => {
    expect(parseGoDuration('5000ns')).toBe(5);
    expect(parseGoDuration('1m30s')).toBe(90_000_000);
    expect(parseGoDuration('5 apples')).toBeUndefined();
    expect(parseRfc3339Micros('1970-01-01T00:00:01.5Z')).toBe(1_500_000);
    expect(parseRfc3339Micros('1970-01-01T01:00:00.000001+01:00')).toBe(1);
  });

  it('is detected and read: base64 ids, processMap, implicit CHILD_OF, typed values', () => {
    expect(jsonFormatFor(doc)?.name).toBe('jaeger-api-v2');
    const { spans, skipped, warnings } = collect(doc);
    expect(spans).toHaveLength(2);
    const [a, b] = spans;
    expect(a.traceId).toBe('0'.repeat(31) + 'a');
    expect(a.spanId).toBe('0000000000000010');
    expect(a.service).toBe('cart');
    expect(a.kind).toBe('server');
    expect(a.start).toBe(Date.UTC(2024, 2, 1, 9, 0, 0, 123) * 1000 + 456);
    expect(a.duration).toBe(1500);
    expect(a.attributes.big).toBe('9223372036854775000');
    expect(b.parentId).toBe('0000000000000010');
    expect([b.service, b.instance, b.error, b.events, b.duration]).toEqual(['db', 'db-0', true, 2, 250]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(/^\$\.spans\[2\]: bad traceId/);
    expect(warnings).toEqual(['clock skew seen']);
  });
});
