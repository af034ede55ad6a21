import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { normalizeSpanId, normalizeTraceId } from '../../src/trace/ids.js';
import { raw } from '../helpers/spans.js';

describe('ids', () => {
  it('pads, lowercases and rejects non-hex', () => {
    expect(normalizeTraceId('ABC')).toBe('0'.repeat(29) + 'abc');
    expect(normalizeSpanId('1')).toBe('0000000000000001');
    expect(normalizeSpanId('xyz')).toBeUndefined();
    expect(normalizeSpanId('1'.repeat(17))).toBeUndefined();
    expect(normalizeTraceId('')).toBeUndefined();
  });
});

describe('normalizeTrace', () => {
  it('indexes the tree: root, children by start, depth, orphans, pre-order', () => {
    const t = normalizeTrace('t', [
      raw({ spanId: '3', parentId: '1', start: 300 }),
      raw({ spanId: '1', start: 100, duration: 1000 }),
      raw({ spanId: '2', parentId: '1', start: 200 }),
      raw({ spanId: '4', parentId: '2', start: 250 }),
      raw({ spanId: '9', parentId: '8', start: 400 }),
    ]);
    const id = (i: number) => t.spans[i].spanId.replace(/^0+/, '');
    expect(id(t.root)).toBe('1');
    expect(t.children[t.root].map(id)).toEqual(['2', '3']);
    expect(t.orphans.map(id)).toEqual(['9']);
    expect(t.maxDepth).toBe(2);
    expect(Array.from(t.order, id)).toEqual(['1', '2', '4', '3', '9']);
    expect(t.rootMissing).toBe(false);
    expect(t.start).toBe(100);
    expect(t.end).toBe(1100);
  });

  it('takes the earliest orphan as root when the root is missing', () => {
    const t = normalizeTrace('t', [
      raw({ spanId: '2', parentId: '1', start: 200 }),
      raw({ spanId: '3', parentId: '1', start: 150 }),
    ]);
    expect(t.rootMissing).toBe(true);
    expect(t.spans[t.root].spanId).toBe('0000000000000003');
    expect(t.warnings.some((w) => w.includes('root span missing'))).toBe(true);
  });

  it('handles a chain 10k levels deep and a trace of 100k spans', () => {
    const deep = Array.from({ length: 10_000 }, (_, i) =>
      raw({ spanId: (i + 1).toString(16), parentId: i === 0 ? undefined : i.toString(16), start: i }),
    );
    const t = normalizeTrace('t', deep);
    expect(t.maxDepth).toBe(9_999);
    const wide = Array.from({ length: 100_000 }, (_, i) =>
      raw({ spanId: (i + 1).toString(16), parentId: i === 0 ? undefined : '1', start: i + 1, duration: 1 }),
    );
    wide[0].duration = 200_000;
    const w = normalizeTrace('t', wide);
    expect(w.children[w.root]).toHaveLength(99_999);
  });

  it('never throws and keeps every span on random parent graphs (cycles, orphans, clashes)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.integer({ min: 1, max: 40 }),
            parent: fc.option(fc.integer({ min: 1, max: 45 }), { nil: undefined }),
            start: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
            duration: fc.option(fc.integer({ min: -5, max: 500 }), { nil: undefined }),
            service: fc.constantFrom('a', 'b', 'c'),
            kind: fc.constantFrom('server', 'client', 'internal') as fc.Arbitrary<
              'server' | 'client' | 'internal'
            >,
          }),
          { maxLength: 60 },
        ),
        (rows) => {
          const spans = rows.map((r, i) =>
            raw({
              spanId: r.id.toString(16),
              parentId: r.parent?.toString(16),
              start: r.start,
              duration: r.duration,
              service: r.service,
              kind: r.kind,
              operation: `op${i}`,
            }),
          );
          const t = normalizeTrace('t', spans);
          expect(new Set(t.spans.map((s) => s.spanId)).size).toBe(t.spans.length);
          expect(t.order.length).toBe(t.spans.length);
          for (const s of t.spans) {
            expect(Number.isFinite(s.start)).toBe(true);
            expect(s.duration).toBeGreaterThanOrEqual(0);
          }
          if (t.spans.length > 0) expect(t.root).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
