import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jaegerV1 } from '../../src/formats/jaeger-v1.js';
import { otlpJson } from '../../src/formats/otlp-json.js';
import { jaegerV3 } from '../../src/formats/jaeger-v3.js';
import { decodeOtlpProto, encodeOtlpProto } from '../../src/formats/otlp-proto.js';
import { salvageJson } from '../../src/formats/json-salvage.js';
import type { JsonFormat } from '../../src/formats/types.js';
import type { SpanKind } from '../../src/trace/span.js';
import { collectingSink } from './helpers/collect.js';

/** What a generated span should read back as. */
interface Model {
  traceId: string;
  spanId: string;
  parentId?: string;
  service: string;
  operation: string;
  kind: SpanKind;
  start: number;
  duration: number;
  error: boolean;
  str: string;
  int: number;
}

const KINDS: SpanKind[] = ['server', 'client', 'producer', 'consumer', 'internal'];
const hex = (n: number) =>
  fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`)).filter((s) => /[1-9a-f]/.test(s));

const traceArb = fc
  .record({
    traceId: hex(32),
    ids: fc.uniqueArray(hex(16), { minLength: 1, maxLength: 12 }),
    services: fc.array(fc.constantFrom('api', 'db', 'cache', 'queue'), { minLength: 12, maxLength: 12 }),
    ops: fc.array(fc.string({ maxLength: 8 }), { minLength: 12, maxLength: 12 }),
    kinds: fc.array(fc.constantFrom(...KINDS), { minLength: 12, maxLength: 12 }),
    parents: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
    starts: fc.array(fc.integer({ min: 1_500_000_000_000_000, max: 1_800_000_000_000_000 }), {
      minLength: 12,
      maxLength: 12,
    }),
    durations: fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 12, maxLength: 12 }),
    errors: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    ints: fc.array(fc.integer(), { minLength: 12, maxLength: 12 }),
  })
  .map((g): Model[] =>
    g.ids.map((spanId, i) => ({
      traceId: g.traceId,
      spanId,
      parentId: i === 0 ? undefined : g.ids[g.parents[i] % i],
      service: g.services[i],
      operation: g.ops[i],
      kind: g.kinds[i],
      start: g.starts[i],
      duration: g.durations[i],
      error: g.errors[i],
      str: g.ops[(i + 1) % 12],
      int: g.ints[i],
    })),
  );

function toJaeger(spans: Model[]) {
  const pids = new Map<string, string>();
  for (const s of spans) if (!pids.has(s.service)) pids.set(s.service, `p${pids.size + 1}`);
  return {
    data: [
      {
        traceID: spans[0].traceId,
        spans: spans.map((s) => ({
          traceID: s.traceId,
          spanID: s.spanId,
          operationName: s.operation,
          references: s.parentId ? [{ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentId }] : [],
          startTime: s.start,
          duration: s.duration,
          tags: [
            { key: 'span.kind', type: 'string', value: s.kind },
            { key: 'error', type: 'bool', value: s.error },
            { key: 'str', type: 'string', value: s.str },
            { key: 'int', type: 'int64', value: s.int },
          ],
          logs: [],
          processID: pids.get(s.service),
        })),
        processes: Object.fromEntries([...pids].map(([svc, pid]) => [pid, { serviceName: svc, tags: [] }])),
        warnings: null,
      },
    ],
  };
}

const KIND_NUM: Record<SpanKind, number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

function toOtlp(spans: Model[]) {
  const services = [...new Set(spans.map((s) => s.service))];
  return {
    resourceSpans: services.map((svc) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: svc } }] },
      scopeSpans: [
        {
          scope: {},
          spans: spans
            .filter((s) => s.service === svc)
            .map((s) => ({
              traceId: s.traceId.toUpperCase(),
              spanId: s.spanId,
              parentSpanId: s.parentId ?? '',
              name: s.operation,
              kind: KIND_NUM[s.kind],
              startTimeUnixNano: `${s.start}000`,
              endTimeUnixNano: `${s.start + s.duration}000`,
              attributes: [
                { key: 'str', value: { stringValue: s.str } },
                { key: 'int', value: { intValue: String(s.int) } },
              ],
              status: s.error ? { code: 2 } : {},
            })),
        },
      ],
    })),
  };
}

function readBack(format: JsonFormat, doc: unknown) {
  const sink = collectingSink();
  format.read(doc, sink, '$');
  expect(sink.skips).toEqual([]);
  const bySpan = new Map(sink.spans.map((s) => [s.spanId, s]));
  return { sink, bySpan };
}

function expectSame(models: Model[], bySpan: ReturnType<typeof readBack>['bySpan']) {
  expect(bySpan.size).toBe(models.length);
  for (const m of models) {
    const s = bySpan.get(m.spanId)!;
    expect(s).toMatchObject({
      traceId: m.traceId,
      parentId: m.parentId,
      service: m.service,
      operation: m.operation,
      kind: m.kind,
      start: m.start,
      duration: m.duration,
      error: m.error,
    });
    expect(s.attributes.str).toBe(m.str);
    expect(s.attributes.int).toBe(m.int);
  }
}

describe('reading generated documents', () => {
  it('jaeger-v1 reads back the spans it was built from', () => {
    fc.assert(fc.property(traceArb, (m) => expectSame(m, readBack(jaegerV1, toJaeger(m)).bySpan)));
  });

  it('otlp-json, jaeger-v3 and otlp-proto read back the spans they were built from', () => {
    fc.assert(
      fc.property(traceArb, (m) => {
        const doc = toOtlp(m);
        expectSame(m, readBack(otlpJson, doc).bySpan);
        expectSame(m, readBack(jaegerV3, { result: doc }).bySpan);
        expectSame(m, readBack(otlpJson, decodeOtlpProto(encodeOtlpProto(doc))).bySpan);
      }),
    );
  });
});

/** Replaces or deletes one value somewhere in the document (iterative walk to a random node). */
function mutate(doc: unknown, path: number[], replacement: unknown, remove: boolean): unknown {
  let node: unknown = doc;
  for (let d = 0; d < path.length; d++) {
    if (typeof node !== 'object' || node === null) return doc;
    const keys = Object.keys(node);
    if (keys.length === 0) return doc;
    const key = keys[path[d] % keys.length];
    const o = node as Record<string, unknown>;
    if (d === path.length - 1 || typeof o[key] !== 'object' || o[key] === null) {
      if (remove && !Array.isArray(o)) delete o[key];
      else o[key] = replacement;
      return doc;
    }
    node = o[key];
  }
  return doc;
}

const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.constant({ constructor: 1, __proto__: null }),
);

describe('damaged documents never make a reader throw', () => {
  const cases: [string, JsonFormat, (m: Model[]) => unknown][] = [
    ['jaeger-v1', jaegerV1, toJaeger],
    ['otlp-json', otlpJson, toOtlp],
    ['jaeger-v3', jaegerV3, (m) => ({ result: toOtlp(m) })],
  ];
  for (const [name, format, build] of cases) {
    it(`${name}: wrong types and deleted fields are skipped or warned about`, () => {
      fc.assert(
        fc.property(
          traceArb,
          fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), junk, fc.boolean()), {
            minLength: 1,
            maxLength: 6,
          }),
          (m, muts) => {
            let doc = build(m);
            for (const [path, v, del] of muts) doc = mutate(doc, path, v, del);
            const sink = collectingSink();
            expect(() => format.read(doc, sink, '$')).not.toThrow();
            // Whatever was read is well-formed.
            for (const s of sink.spans) {
              expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
              expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
              if (s.duration !== undefined) expect(s.duration).toBeGreaterThanOrEqual(0);
            }
          },
        ),
        { numRuns: 300 },
      );
    });

    it(`${name}: truncated text salvages to a document the reader accepts`, () => {
      fc.assert(
        fc.property(traceArb, fc.double({ min: 0, max: 1, noNaN: true }), (m, frac) => {
          const text = JSON.stringify(build(m));
          const cut = text.slice(0, Math.floor(text.length * frac));
          const s = salvageJson(cut);
          if (!s) return;
          const sink = collectingSink();
          expect(() => format.read(s.doc, sink, '$')).not.toThrow();
        }),
        { numRuns: 200 },
      );
    });
  }
});
