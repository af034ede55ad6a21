import { describe, expect, it } from 'vitest';
import { dedupeSpanIds } from '../../src/trace/adjusters/dedupe-span-ids.js';
import { breakCycles } from '../../src/trace/adjusters/break-cycles.js';
import { inferTiming } from '../../src/trace/adjusters/infer-timing.js';
import { adjustClockSkew } from '../../src/trace/adjusters/clock-skew.js';
import { reportMissingRoot } from '../../src/trace/adjusters/missing-root.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { buildTrace } from '../../src/trace/trace.js';
import type { Span } from '../../src/trace/span.js';
import { raw } from '../helpers/spans.js';

function ctx() {
  const warnings: string[] = [];
  return { traceId: 't', warn: (m: string) => warnings.push(m), warnings };
}

describe('dedupeSpanIds', () => {
  it('splits a shared client/server id: the server half becomes the client half’s child', () => {
    const c = ctx();
    const spans = [
      raw({ spanId: 'a', service: 'front', kind: 'server' }),
      raw({ spanId: 'b', parentId: 'a', service: 'front', kind: 'client' }),
      raw({ spanId: 'b', parentId: 'a', service: 'back', kind: 'server', shared: true }),
      raw({ spanId: 'c', parentId: 'b', service: 'back', kind: 'client' }),
    ];
    const out = dedupeSpanIds(spans, c);
    expect(out).toHaveLength(4);
    const server = out.find((s) => s.service === 'back' && s.kind === 'server')!;
    expect(server.spanId).not.toBe('000000000000000b');
    expect(server.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(server.parentId).toBe('000000000000000b');
    // The back-end's own outgoing call ran inside the server half, so it moves under it.
    expect(out.find((s) => s.spanId === '000000000000000c')!.parentId).toBe(server.spanId);
    expect(new Set(out.map((s) => s.spanId)).size).toBe(4);
    expect(c.warnings.join()).toMatch(/shared/);
  });

  it('merges exact copies and renames unrelated clashes', () => {
    const c = ctx();
    const a = raw({ spanId: 'a', operation: 'x' });
    const out = dedupeSpanIds(
      [a, { ...a }, raw({ spanId: 'a', operation: 'y', kind: 'internal', parentId: 'f' })],
      c,
    );
    expect(out).toHaveLength(2);
    expect(new Set(out.map((s) => s.spanId)).size).toBe(2);
    expect(out[1].parentId).toBe('000000000000000f');
    expect(c.warnings).toHaveLength(2);
  });

  it('merges a Zipkin fragment without timing into the span it belongs to', () => {
    const c = ctx();
    const out = dedupeSpanIds(
      [
        raw({
          spanId: 'a',
          service: 'api',
          instance: '10.0.0.1',
          start: undefined,
          duration: undefined,
          attributes: { x: '1' },
        }),
        raw({
          spanId: 'a',
          service: 'api',
          instance: '10.0.0.1',
          kind: 'server',
          start: 50,
          duration: 20,
          shared: true,
        }),
        raw({ spanId: 'a', service: 'web', kind: 'client', start: 40, duration: 40 }),
      ],
      c,
    );
    expect(out).toHaveLength(2);
    const server = out.find((s) => s.service === 'api')!;
    expect(server.kind).toBe('server');
    expect([server.start, server.duration]).toEqual([50, 20]);
    expect(server.attributes).toEqual({ x: '1' });
    expect(server.parentId).toBe('000000000000000a');
  });

  it('keeps same-service spans from different instances apart (a multicast)', () => {
    const out = dedupeSpanIds(
      [
        raw({ spanId: 'a', service: 'bus', kind: 'client', start: 1 }),
        raw({ spanId: 'a', service: 'sub', instance: 'i1', kind: 'server', start: 5, shared: true }),
        raw({ spanId: 'a', service: 'sub', instance: 'i2', kind: 'server', start: 6, shared: true }),
      ],
      ctx(),
    );
    expect(out).toHaveLength(3);
    expect(out.filter((s) => s.parentId === '000000000000000a')).toHaveLength(2);
  });

  it('returns the input untouched when ids are unique', () => {
    const spans = [raw({ spanId: '1' }), raw({ spanId: '2', parentId: '1' })];
    expect(dedupeSpanIds(spans, ctx())).toBe(spans);
  });
});

describe('breakCycles', () => {
  it('breaks a two-span cycle at the earliest span and warns', () => {
    const c = ctx();
    const spans = [
      raw({ spanId: '1', parentId: '2', start: 10 }),
      raw({ spanId: '2', parentId: '1', start: 5 }),
      raw({ spanId: '3', parentId: '1', start: 20 }),
    ];
    breakCycles(spans, c);
    expect(spans[1].parentId).toBeUndefined();
    expect(spans[0].parentId).toBe('0000000000000002');
    expect(c.warnings).toEqual(['1 parent-reference cycle broken']);
  });

  it('breaks a self-reference and a long cycle without recursion', () => {
    const c = ctx();
    const n = 20_000;
    const spans = Array.from({ length: n }, (_, i) =>
      raw({ spanId: (i + 1).toString(16), parentId: (((i + 1) % n) + 1).toString(16), start: i }),
    );
    spans.push(raw({ spanId: 'fffff', parentId: 'fffff' }));
    breakCycles(spans, c);
    expect(spans.filter((s) => s.parentId === undefined)).toHaveLength(2);
    expect(c.warnings[0]).toMatch(/^2 /);
  });
});

describe('inferTiming', () => {
  it('fills a missing start from the earliest child and a missing duration from the last child end', () => {
    const c = ctx();
    const spans = [
      raw({ spanId: '1', start: undefined, duration: undefined }),
      raw({ spanId: '2', parentId: '1', start: 500, duration: 100 }),
      raw({ spanId: '3', parentId: '1', start: 550, duration: 200 }),
      raw({ spanId: '4', parentId: '3', start: undefined, duration: 10 }),
    ];
    const out = inferTiming(spans, c);
    expect(out[0].start).toBe(500);
    expect(out[0].duration).toBe(250);
    expect(out[3].start).toBe(550); // from its parent
    expect(out[0].adjusted).toEqual(['start-inferred', 'duration-inferred']);
    expect(c.warnings).toHaveLength(2);
  });

  it('treats negative durations as missing', () => {
    const out = inferTiming([raw({ spanId: '1', duration: -5 })], ctx());
    expect(out[0].duration).toBe(0);
  });
});

describe('adjustClockSkew', () => {
  const asSpans = (r: ReturnType<typeof raw>[]) => r as Span[];

  it('centres a child from another host that starts before its parent', () => {
    const c = ctx();
    const spans = asSpans([
      raw({ spanId: '1', service: 'a', kind: 'client', start: 1000, duration: 100 }),
      raw({ spanId: '2', parentId: '1', service: 'b', kind: 'server', start: 900, duration: 60 }),
      raw({ spanId: '3', parentId: '2', service: 'b', start: 910, duration: 10 }),
    ]);
    adjustClockSkew(spans, c);
    expect(spans[1].start).toBe(1020); // 1000 + (100 - 60) / 2
    expect(spans[2].start).toBe(1030); // same host as its parent: shifted by the same +120
    expect(spans[0].start).toBe(1000);
    expect(c.warnings).toEqual(['2 spans shifted to correct clock skew']);
  });

  it('aligns starts when the child is longer than the parent, and leaves fitting children alone', () => {
    const spans = asSpans([
      raw({ spanId: '1', service: 'a', start: 1000, duration: 100 }),
      raw({ spanId: '2', parentId: '1', service: 'b', start: 2000, duration: 150 }),
      raw({ spanId: '3', parentId: '1', service: 'c', start: 1010, duration: 50 }),
    ]);
    adjustClockSkew(spans, ctx());
    expect(spans[1].start).toBe(1000);
    expect(spans[2].start).toBe(1010);
  });

  it('does not move async consumers or children on the same clock', () => {
    const spans = asSpans([
      raw({ spanId: '1', service: 'a', kind: 'producer', start: 1000, duration: 10 }),
      raw({ spanId: '2', parentId: '1', service: 'b', kind: 'consumer', start: 5000, duration: 10 }),
      raw({ spanId: '3', parentId: '2', service: 'b', start: 9000, duration: 10 }),
    ]);
    adjustClockSkew(spans, ctx());
    expect(spans.map((s) => s.start)).toEqual([1000, 5000, 9000]);
  });
});

describe('reportMissingRoot', () => {
  it('warns when every span has a parent outside the trace', () => {
    const c = ctx();
    reportMissingRoot(asOrphans(), c);
    expect(c.warnings[0]).toMatch(/root span missing: 2 orphan spans/);
  });
  function asOrphans() {
    return [raw({ spanId: '1', parentId: 'f' }), raw({ spanId: '2', parentId: 'e' })] as Span[];
  }
});

describe('the shared span index', () => {
  // normalizeTrace hands the id index dedupeSpanIds builds to every later step; each step run alone builds
  // its own. Both ways must give the same trace, with and without id clashes.
  const fixture = (): Span[] =>
    [
      raw({ spanId: 'a', service: 'front', kind: 'server', start: 1_000, duration: 900 }),
      raw({ spanId: 'b', parentId: 'a', service: 'front', kind: 'client', start: 1_010, duration: 500 }),
      raw({
        spanId: 'b',
        parentId: 'a',
        service: 'back',
        kind: 'server',
        shared: true,
        start: 900,
        duration: 400,
      }),
      raw({ spanId: 'c', parentId: 'b', service: 'back', kind: 'client', start: 950, duration: 100 }),
      raw({ spanId: 'd', parentId: 'e', start: 1_100, duration: 10 }),
      raw({ spanId: 'e', parentId: 'd', start: 1_105, duration: 10 }),
      raw({ spanId: 'f', parentId: '99', start: 1_200, duration: 10 }),
    ] as Span[];

  for (const clash of [true, false]) {
    it(clash ? 'with a shared client/server id' : 'without clashes', () => {
      const spans = clash ? fixture() : fixture().filter((s, i) => i !== 2);
      const viaIndex = normalizeTrace('t', structuredClone(spans));
      const alone = structuredClone(spans);
      const c = ctx();
      let steps = dedupeSpanIds(alone, c) as Span[];
      const fresh = () => ({ traceId: 't', warn: c.warn });
      steps = breakCycles(steps, fresh());
      steps = inferTiming(steps, fresh());
      steps = adjustClockSkew(steps, fresh());
      steps = reportMissingRoot(steps, fresh());
      const built = buildTrace('t', steps, c.warnings);
      expect(viaIndex).toEqual(built);
      expect(viaIndex.warnings).toEqual(c.warnings);
    });
  }
});
