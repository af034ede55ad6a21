import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { zipkinV2 } from '../../src/formats/zipkin-v2.js';
import { zipkinV1 } from '../../src/formats/zipkin-v1.js';
import { jsonFormatFor } from '../../src/formats/detect.js';
import { readTracePayload } from '../../src/formats/read.js';
import { collectingSink } from './helpers/collect.js';

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const KINDS = ['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'] as const;

const zipkinSpan = fc.record(
  {
    traceId: fc.oneof(hex(16), hex(32)),
    id: hex(16),
    parentId: hex(16),
    kind: fc.constantFrom(...KINDS),
    name: fc.string({ maxLength: 12 }),
    timestamp: fc.integer({ min: 1, max: 2 ** 52 }),
    duration: fc.integer({ min: 1, max: 10 ** 9 }),
    localEndpoint: fc.record({ serviceName: fc.string({ minLength: 1, maxLength: 8 }) }),
    tags: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 6 }), {
      maxKeys: 4,
    }),
    shared: fc.boolean(),
  },
  { requiredKeys: ['traceId', 'id'] },
);

describe('zipkin-v2 properties', () => {
  it('reads back every field of random valid span lists', () => {
    fc.assert(
      fc.property(fc.array(zipkinSpan, { minLength: 1, maxLength: 30 }), (spans) => {
        const sink = collectingSink();
        zipkinV2.read(spans, sink, '$');
        expect(sink.skips).toEqual([]);
        expect(sink.spans).toHaveLength(spans.length);
        spans.forEach((z, i) => {
          const s = sink.spans[i];
          expect(s.traceId).toBe(z.traceId.padStart(32, '0'));
          expect(s.spanId).toBe(z.id);
          const zeroParent = z.parentId === undefined || /^0+$/.test(z.parentId) || z.parentId === z.id;
          expect(s.parentId).toBe(zeroParent ? undefined : z.parentId);
          expect(s.kind).toBe(z.kind ? z.kind.toLowerCase() : 'internal');
          expect(s.start).toBe(z.timestamp);
          expect(s.duration).toBe(z.duration);
          expect(s.service).toBe(z.localEndpoint?.serviceName ?? 'unknown');
          expect(s.shared === true).toBe(z.shared === true);
          for (const [k, v] of Object.entries(z.tags ?? {})) expect(s.attributes[k]).toBe(v);
          expect(s.error).toBe(z.tags !== undefined && 'error' in z.tags && z.tags.error !== 'false');
        });
      }),
      { numRuns: 200 },
    );
  });

  it('never throws from read on mutated documents, and skips or keeps every record', () => {
    const mutate = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.integer(),
      fc.string(),
      fc.boolean(),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.object({ maxDepth: 1 }),
    );
    const mutatedSpan = fc
      .tuple(
        zipkinSpan,
        fc.constantFrom(
          'traceId',
          'id',
          'parentId',
          'kind',
          'timestamp',
          'duration',
          'localEndpoint',
          'tags',
          'name',
          'annotations',
          'remoteEndpoint',
        ),
        mutate,
      )
      .map(([s, key, v]) => ({ ...s, [key]: v }) as Record<string, unknown>);
    const item = fc.oneof(mutatedSpan, zipkinSpan, mutate);
    fc.assert(
      fc.property(fc.array(fc.oneof(item, fc.array(item, { maxLength: 4 })), { maxLength: 12 }), (doc) => {
        const sink = collectingSink();
        zipkinV2.read(doc, sink, '$');
        const records = doc.reduce<number>((n, x) => n + (Array.isArray(x) ? x.length : 1), 0);
        expect(sink.spans.length + sink.skips.length).toBe(records);
        for (const s of sink.spans) {
          expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
          expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
          if (s.start !== undefined) expect(Number.isInteger(s.start) && s.start > 0).toBe(true);
        }
        expect(() => zipkinV1.read(doc, collectingSink(), '$')).not.toThrow();
        // Through detection and the adjusters too: a document either reads or is rejected with InputError.
        const body = Buffer.from(JSON.stringify(doc));
        if (jsonFormatFor(doc)) {
          try {
            readTracePayload(body);
          } catch (err) {
            expect((err as Error).name).toBe('InputError');
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
