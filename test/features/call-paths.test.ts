import { describe, expect, it } from 'vitest';
import { buildCallPaths, MAX_READABLE_PATH_DEPTH } from '../../src/features/call-paths.js';
import { internOperations } from '../../src/features/intern.js';
import { PathInterner } from '../../src/features/path-interner.js';
import { Fnv64 as Fnv, fnv64Hex } from '../../src/features/fnv.js';
import { extractProfile, type TraceProfile } from '../../src/features/profile.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { at, build, raw, TRACE_ID } from './build.js';

const byKey = (p: TraceProfile, key: string) => {
  const c = p.callPaths.find((x) => x.key === key);
  if (!c) throw new Error(`no call path ${key}; have ${p.callPaths.map((x) => x.key).join(', ')}`);
  return c;
};

describe('call paths', () => {
  it('aggregates spans per path: count, durations, self time, errors, critical-path time', () => {
    const t = build([
      { id: 1, op: 'api:GET /x', start: 0, duration: 100, kind: 'server' },
      { id: 2, parent: 1, op: 'api:load', start: 0, duration: 40 }, // 0..40
      { id: 3, parent: 1, op: 'api:load', start: 50, duration: 20, error: true }, // 50..70
      { id: 4, parent: 2, op: 'db:query', start: 5, duration: 30 }, // 5..35
      { id: 5, parent: 3, op: 'db:query', start: 55, duration: 10, error: true }, // 55..65
    ]);
    const p = extractProfile(t);
    expect(p.callPaths.map((c) => c.key)).toEqual([
      'api:GET /x',
      'api:GET /x>api:load',
      'api:GET /x>api:load>db:query',
    ]);
    const load = byKey(p, 'api:GET /x>api:load');
    expect(load).toMatchObject({
      count: 2,
      totalDurationUs: 60,
      maxDurationUs: 40,
      errors: 1,
      parent: 0,
      depth: 1,
    });
    // self: load#2 40 - 30 = 10, load#3 20 - 10 = 10
    expect(load.selfTimeUs).toBe(20);
    const q = byKey(p, 'api:GET /x>api:load>db:query');
    expect(q).toMatchObject({ count: 2, totalDurationUs: 40, maxDurationUs: 30, selfTimeUs: 40, errors: 1 });
    // Critical path from 100: root 70..100 (30), load#3 50..55 + 65..70 (10), query#5 55..65 (10),
    // root 40..50 (10), load#2 0..5 + 35..40 (10), query#4 5..35 (30).
    expect(byKey(p, 'api:GET /x').criticalPathUs).toBe(40);
    expect(load.criticalPathUs).toBe(20);
    expect(q.criticalPathUs).toBe(40);
    expect(p.spanCallPath[at(t, 5)]).toBe(2);
    expect(p.errorSpans).toBe(2);
    expect(p.endpoint).toEqual({ service: 'api', operation: 'GET /x', key: 'api:GET /x' });
  });

  it('marks paths that start at an orphan', () => {
    const t = build([
      { id: 1, op: 'a:root', start: 0, duration: 100 },
      { id: 2, parent: 1, op: 'b:x', start: 0, duration: 10 },
      { id: 3, parent: 99, op: 'b:x', start: 20, duration: 10 }, // parent 99 never arrived
      { id: 4, parent: 3, op: 'c:y', start: 22, duration: 5 },
    ]);
    const p = extractProfile(t);
    expect(p.callPaths.map((c) => c.key).sort()).toEqual(['?>b:x', '?>b:x>c:y', 'a:root', 'a:root>b:x']);
    expect(p.orphans).toBe(1);
    expect(p.rootMissing).toBe(false);
    expect(p.endpoint.key).toBe('a:root');
  });

  it('abbreviates deep paths with the hash of their full parent path', () => {
    const N = 40;
    const specs = [];
    for (let k = 0; k < N; k++)
      specs.push(
        raw({ id: k + 1, parent: k === 0 ? undefined : k, op: 'a:op', start: k, duration: 100 - k }),
      );
    const p = extractProfile(normalizeTrace(TRACE_ID, specs));
    const full = (depth: number) => Array.from({ length: depth + 1 }, () => 'a:op').join('>');
    const d = MAX_READABLE_PATH_DEPTH - 1;
    expect(p.callPaths[d].key).toBe(full(d));
    expect(p.callPaths[d + 1].key).toBe('#' + fnv64Hex(full(d)) + '>a:op');
    expect(p.callPaths[d + 2].key).toBe('#' + fnv64Hex(full(d + 1)) + '>a:op');
  });
});

describe('fan-out and repeated calls', () => {
  it('finds N+1 calls under one parent, not across parents', () => {
    const specs = [
      { id: 1, op: 'api:list', start: 0, duration: 1000 },
      { id: 2, parent: 1, op: 'api:page', start: 0, duration: 400 },
      { id: 3, parent: 1, op: 'api:page', start: 500, duration: 400 },
    ];
    // page#2 calls db:query 10 times; page#3 calls cache:get 3 times and db:query once.
    for (let k = 0; k < 10; k++)
      specs.push({ id: 10 + k, parent: 2, op: 'db:query', start: k * 30, duration: 20 });
    for (let k = 0; k < 3; k++)
      specs.push({ id: 30 + k, parent: 3, op: 'cache:get', start: 500 + k * 30, duration: 5 });
    specs.push({ id: 40, parent: 3, op: 'db:query', start: 700, duration: 50 });
    const p = extractProfile(build(specs));
    expect(p.fanOut.maxRepeat).toBe(10);
    expect(p.fanOut.maxChildren).toBe(10);
    // parents: root (2 children), page#2 (10), page#3 (4)
    expect(p.fanOut.meanChildren).toBe(16 / 3);
    const db = p.callPaths.find((c) => c.key === 'api:list>api:page>db:query')!;
    expect(db.count).toBe(11);
    expect(db.maxRepeat).toBe(10);
    expect(p.callPaths.find((c) => c.key === 'api:list>api:page')!.maxRepeat).toBe(2);
    expect(p.callPaths.find((c) => c.key === 'api:list>api:page>cache:get')!.maxRepeat).toBe(3);
    // service edges: api->db 11 calls, api->cache 3
    expect(p.edges.map((e) => [e.caller, e.callee, e.calls])).toEqual([
      ['api', 'cache', 3],
      ['api', 'db', 11],
    ]);
    expect(p.edges[1].totalDurationUs).toBe(10 * 20 + 50);
    expect(p.fanOut.crossServiceCalls).toBe(14);
  });
});

describe('network gap', () => {
  it('is client minus server duration per server call path, other services only', () => {
    const t = build([
      { id: 1, op: 'front:GET', start: 0, duration: 100, kind: 'server' },
      { id: 2, parent: 1, op: 'front:call', start: 10, duration: 50, kind: 'client' }, // 10..60
      { id: 3, parent: 2, op: 'back:handle', start: 15, duration: 40, kind: 'server' }, // gap 10
      { id: 4, parent: 1, op: 'front:call', start: 60, duration: 30, kind: 'client' }, // 60..90
      { id: 5, parent: 4, op: 'back:handle', start: 62, duration: 18, kind: 'server' }, // gap 12
      { id: 6, parent: 1, op: 'front:self', start: 0, duration: 10, kind: 'client' },
      { id: 7, parent: 6, op: 'front:h', start: 1, duration: 5, kind: 'server' }, // same service: no hop
      { id: 8, parent: 1, op: 'front:work', start: 90, duration: 10 },
      { id: 9, parent: 8, op: 'back:handle', start: 91, duration: 5, kind: 'server' }, // parent not a client
    ]);
    const p = extractProfile(t);
    expect(p.networkHops).toHaveLength(1);
    expect(p.networkHops[0]).toMatchObject({
      key: 'front:GET>front:call>back:handle',
      clientService: 'front',
      serverService: 'back',
      count: 2,
      totalGapUs: 22,
      maxGapUs: 12,
    });
    expect(p.callPaths[p.networkHops[0].path].key).toBe(p.networkHops[0].key);
  });

  it('takes a kind-less parent with a child in another service as a hop (span tables without kinds)', () => {
    const t = build([
      { id: 1, op: 'front:GET', start: 0, duration: 100 },
      { id: 2, parent: 1, op: 'back:handle', start: 20, duration: 30 }, // gap 100 - 30
      { id: 3, parent: 2, op: 'back:inner', start: 25, duration: 5 }, // same service: no hop
    ]);
    const p = extractProfile(t);
    expect(p.networkHops.map((h) => [h.clientService, h.serverService, h.totalGapUs])).toEqual([
      ['front', 'back', 70],
    ]);
  });

  it('gives a trace the same paths whatever the process-wide table met before (shared or fresh)', () => {
    const traces = [
      build([
        { id: 1, op: 'api:GET /x', start: 0, duration: 100 },
        { id: 2, parent: 1, op: 'db:query', start: 0, duration: 40 },
        { id: 3, parent: 9, op: 'db:query', start: 50, duration: 20 },
      ]),
      build([
        { id: 1, op: 'api:GET /y', start: 0, duration: 100 },
        { id: 2, parent: 1, op: 'api:GET /x', start: 0, duration: 40 },
        { id: 3, parent: 2, op: 'db:query', start: 5, duration: 20 },
        { id: 4, parent: 1, op: 'db:query', start: 50, duration: 20 },
        { id: 5, parent: 99, op: 'api:GET /x', start: 60, duration: 20 },
      ]),
      build([{ id: 1, op: 'a%3A:b:c', start: 0, duration: 1 }]),
    ];
    const shared = new PathInterner();
    // Twice through, so the second pass finds every path already in the shared table.
    for (const t of [...traces, ...traces]) {
      const ids = internOperations(t);
      const a = buildCallPaths(t, ids, shared);
      const b = buildCallPaths(t, ids, new PathInterner());
      expect(a).toEqual(b);
      // A path's hash is FNV-1a of its full key.
      a.key.forEach((k, p) => {
        expect(new Fnv(a.hashHi[p], a.hashLo[p]).hex()).toBe(fnv64Hex(k));
      });
    }
    expect(buildCallPaths(traces[1], internOperations(traces[1]), shared).key).toEqual([
      'api:GET /y',
      'api:GET /y>api:GET /x',
      'api:GET /y>api:GET /x>db:query',
      'api:GET /y>db:query',
      '?>api:GET /x',
    ]);
  });
});
