import { describe, expect, it } from 'vitest';
import { trainBaseline } from '../../src/detectors/baseline/index.js';
import { spanContext } from '../../src/explain/span-context.js';
import { extractProfile } from '../../src/features/profile.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { raw } from '../helpers/spans.js';

/** gw:GET /a -> db:Query (slow part, then) -> cache:Get (short, off the critical path when overlapped). */
function trace(n: number, dbUs: number) {
  const traceId = n.toString(16).padStart(32, '0');
  const t = 1_000_000 + n * 10_000_000;
  return normalizeTrace(traceId, [
    raw({
      traceId,
      spanId: '1',
      service: 'gw',
      operation: 'GET /a',
      kind: 'server',
      start: t,
      duration: dbUs + 2000,
    }),
    raw({
      traceId,
      spanId: '2',
      parentId: '1',
      service: 'db',
      operation: 'Query',
      start: t + 1000,
      duration: dbUs,
    }),
    raw({
      traceId,
      spanId: '3',
      parentId: '1',
      service: 'cache',
      operation: 'Get',
      start: t + 1100,
      duration: 300,
    }),
  ]);
}

describe('spanContext', () => {
  it("gives each span its call path's normal p50-p99 and marks the critical path", () => {
    const train = Array.from({ length: 200 }, (_, i) => trace(i, 10_000 + (i % 20) * 500));
    const model = trainBaseline(train);
    const slow = trace(999, 80_000);
    const ctx = spanContext(slow, extractProfile(slow), model);
    const db = slow.spans.findIndex((s) => s.service === 'db');
    const cache = slow.spans.findIndex((s) => s.service === 'cache');
    // Training took 10-19.5 ms on db: the range says so, and the 80 ms span is far above it.
    expect(ctx[db].normal!.p50).toBeGreaterThan(13_000);
    expect(ctx[db].normal!.p50).toBeLessThan(17_000);
    expect(ctx[db].normal!.p99).toBeGreaterThan(18_000);
    expect(ctx[db].normal!.p99).toBeLessThan(22_000);
    expect(ctx[db].critical).toBe(true);
    // The cache call runs beside the db call, so the root never waits on it.
    expect(ctx[cache].critical).toBe(false);
    expect(ctx[cache].normal!.p50).toBeGreaterThan(250);
    expect(ctx[cache].normal!.p50).toBeLessThan(350);
  });

  it('gives no range to a path the model never saw', () => {
    const model = trainBaseline(Array.from({ length: 50 }, (_, i) => trace(i, 10_000)));
    const odd = normalizeTrace('f'.repeat(32), [
      raw({
        traceId: 'f'.repeat(32),
        spanId: '1',
        service: 'new',
        operation: 'Thing',
        kind: 'server',
        start: 0,
        duration: 5,
      }),
    ]);
    expect(spanContext(odd, extractProfile(odd), model)).toEqual([{ critical: true }]);
  });
});
