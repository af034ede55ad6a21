import { describe, expect, it } from 'vitest';
import { extractProfile } from '../../src/features/profile.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { RawSpan } from '../../src/trace/span.js';
import { build, raw, TRACE_ID } from './build.js';

describe('extractProfile', () => {
  it('collects instances and versions per service', () => {
    const p = extractProfile(
      build([
        { id: 1, op: 'web:GET', start: 0, duration: 100, instance: 'web-1', version: '2.0' },
        { id: 2, parent: 1, op: 'cart:get', start: 10, duration: 20, instance: 'cart-b', version: '1.4' },
        { id: 3, parent: 1, op: 'cart:get', start: 40, duration: 20, instance: 'cart-a', version: '1.5' },
        { id: 4, parent: 1, op: 'cart:get', start: 70, duration: 20, instance: 'cart-b', error: true },
      ]),
    );
    expect(p.services.map((s) => [s.service, s.spans, s.errors, s.instances, s.versions])).toEqual([
      ['cart', 3, 1, ['cart-a', 'cart-b'], ['1.4', '1.5']],
      ['web', 1, 0, ['web-1'], ['2.0']],
    ]);
    expect(p.operationCount).toBe(2);
  });

  it('counts async spans, orphans, a missing root and adjusted spans', () => {
    const spans: RawSpan[] = [
      raw({ id: 2, parent: 1, op: 'a:handle', start: 100, duration: 50, kind: 'server' }), // root 1 missing
      raw({ id: 3, parent: 2, op: 'a:publish', start: 110, duration: 5, kind: 'producer' }),
      raw({ id: 4, parent: 3, op: 'q:consume', start: 200, duration: 20, kind: 'consumer' }),
      raw({ id: 5, parent: 2, op: 'a:save', start: 120, duration: 10 }),
      raw({ id: 6, parent: 2, op: 'b:rpc', start: 90, duration: 10, kind: 'server' }), // other clock, before parent
      raw({ id: 7, parent: 8, op: 'c:late', start: 300, duration: 1 }), // another orphan
    ];
    delete spans[3].duration; // save: duration inferred (no children -> 0)
    const t = normalizeTrace(TRACE_ID, spans);
    const p = extractProfile(t);
    expect(p.rootMissing).toBe(true);
    expect(p.orphans).toBe(2);
    expect(p.endpoint.key).toBe('a:handle');
    expect(p.asyncSpans).toBe(2);
    expect(p.timingInferredSpans).toBe(1);
    expect(p.skewAdjustedSpans).toBe(1);
    // orphan paths carry the marker, the root's too
    expect(p.callPaths[0].key).toBe('?>a:handle');
    // trace extent 100..301 (the skewed span moved inside its parent)
    expect(p.durationUs).toBe(201);
    expect(p.rootDurationUs).toBe(50);
  });

  it('handles an empty trace', () => {
    const p = extractProfile(normalizeTrace(TRACE_ID, []));
    expect(p.spanCount).toBe(0);
    expect(p.rootSpan).toBe(-1);
    expect(p.depth).toBe(0);
    expect(p.endpoint.key).toBe('unknown:unknown');
    expect(p.criticalPath).toEqual([]);
    expect(p.callPaths).toEqual([]);
  });

  it('profiles a 100k-span trace with hand-computed totals', () => {
    // root 0..1e6; 1000 sequential mids of 1000 µs, each with 99 sequential 10 µs db calls from its start:
    // every mid owns the last 10 µs of its interval, every db call its 10 µs.
    const MIDS = 1000;
    const LEAVES = 99;
    const spans: RawSpan[] = [raw({ id: 1, op: 'gw:root', start: 0, duration: MIDS * 1000, kind: 'server' })];
    let id = 2;
    for (let m = 0; m < MIDS; m++) {
      const mid = id++;
      spans.push(raw({ id: mid, parent: 1, op: 'svc:mid', start: m * 1000, duration: 1000 }));
      for (let l = 0; l < LEAVES; l++)
        spans.push(raw({ id: id++, parent: mid, op: 'db:q', start: m * 1000 + l * 10, duration: 10 }));
    }
    const t = normalizeTrace(TRACE_ID, spans);
    const p = extractProfile(t);
    expect(p.spanCount).toBe(1 + MIDS * (1 + LEAVES));
    expect(p.completeness).toBe(1);
    expect(p.selfTimeUs[p.rootSpan]).toBe(0);
    expect(p.callPaths.map((c) => [c.key, c.count, c.selfTimeUs, c.maxRepeat])).toEqual([
      ['gw:root', 1, 0, 1],
      ['gw:root>svc:mid', MIDS, MIDS * 10, MIDS],
      ['gw:root>svc:mid>db:q', MIDS * LEAVES, MIDS * LEAVES * 10, LEAVES],
    ]);
    expect(p.criticalPath.length).toBe(MIDS * (1 + LEAVES));
    expect(p.criticalPath.reduce((s, e) => s + e.timeUs, 0)).toBe(MIDS * 1000);
    expect(p.criticalPathShares).toEqual([
      { service: 'db', share: 0.99 },
      { service: 'svc', share: 0.01 },
    ]);
    expect(p.fanOut.maxRepeat).toBe(MIDS);
  });
});
