import { describe, expect, it } from 'vitest';
import { Aggregates, MinuteBucket, sumTargets, type Verdict } from '../../src/traffic/minute-buckets.js';
import { MINUTE_US } from '../../src/traffic/minute.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { RawSpan } from '../../src/trace/span.js';
import type { Trace } from '../../src/trace/trace.js';
import { raw } from '../helpers/spans.js';

const T0 = 1_709_640_000_000_000; // a whole minute

function trace(id: string, spans: RawSpan[], opts = { clockSkew: false }): Trace {
  const traceId = id.padStart(32, '0');
  return normalizeTrace(
    traceId,
    spans.map((s) => ({ ...s, traceId })),
    opts,
  );
}

/**
 * frontend GET / (server) -> client GetCart -> cart GetCart (server) -> client HGET -> redis HGET (server),
 * plus frontend's own internal render span. Times in µs from `at`.
 */
function shopTrace(id: string, at = T0, o: { cartUs?: number; clientError?: boolean } = {}): Trace {
  const cart = o.cartUs ?? 3_000;
  return trace(id, [
    raw({
      spanId: '1',
      service: 'frontend',
      operation: 'GET /',
      kind: 'server',
      start: at,
      duration: 10_000,
    }),
    raw({
      spanId: '2',
      parentId: '1',
      service: 'frontend',
      operation: 'GetCart',
      kind: 'client',
      start: at + 1_000,
      duration: cart + 1_000,
      error: o.clientError ?? false,
    }),
    raw({
      spanId: '3',
      parentId: '2',
      service: 'cart',
      operation: 'GetCart',
      kind: 'server',
      start: at + 1_500,
      duration: cart,
    }),
    raw({
      spanId: '4',
      parentId: '3',
      service: 'cart',
      operation: 'HGET',
      kind: 'client',
      start: at + 1_600,
      duration: 500,
    }),
    raw({
      spanId: '5',
      parentId: '4',
      service: 'redis',
      operation: 'HGET',
      kind: 'server',
      start: at + 1_700,
      duration: 300,
    }),
    raw({
      spanId: '6',
      parentId: '1',
      service: 'frontend',
      operation: 'render',
      kind: 'internal',
      start: at + 8_000,
      duration: 1_000,
    }),
  ]);
}

const anomalous = (service: string): Verdict => ({
  anomalous: true,
  rootCauses: [{ service, kind: 'latency', contribution: 1, evidence: 'x' }],
});

describe('Aggregates', () => {
  it('collapses client -> server hops into caller entry operation -> server operation edges', () => {
    const agg = new Aggregates();
    agg.add(shopTrace('a', T0, { cartUs: 4_000 }));
    const b = agg.bucket(T0)!;
    expect([...b.endpoints.keys()]).toEqual(['frontend:GET /']);
    expect([...b.edges.keys()].sort()).toEqual(['cart:GetCart->redis:HGET', 'frontend:GET /->cart:GetCart']);
    const e = b.edges.get('frontend:GET /->cart:GetCart')!;
    expect(e.calls).toBe(1);
    expect(e.callers).toBe(1);
    // The client span's duration (5 ms, wire included), within the sketch's 5% resolution.
    expect(e.latency.quantile(0.5) / 5_000).toBeCloseTo(1, 1);
    expect([...b.services.keys()].sort()).toEqual(['cart', 'frontend', 'redis']);
    // One request served per service: client and internal spans are not entries.
    for (const s of b.services.values()) expect(s.calls).toBe(1);
    expect(b.services.get('cart')!.latency.quantile(0.5) / 4_000).toBeCloseTo(1, 1);
  });

  it('takes a kind-less child in another service as a hop, named by the top of the caller service', () => {
    const agg = new Aggregates();
    agg.add(
      trace('b', [
        raw({ spanId: '1', service: 'a', operation: 'entry', start: T0, duration: 1_000 }),
        raw({ spanId: '2', parentId: '1', service: 'a', operation: 'inner', start: T0 + 10, duration: 900 }),
        raw({ spanId: '3', parentId: '2', service: 'b', operation: 'work', start: T0 + 20, duration: 800 }),
      ]),
    );
    const b = agg.bucket(T0)!;
    expect([...b.edges.keys()]).toEqual(['a:entry->b:work']);
    expect(b.edges.get('a:entry->b:work')!.latency.quantile(0.5) / 800).toBeCloseTo(1, 1);
    expect(b.services.get('a')!.calls).toBe(1);
  });

  it('counts calls per caller span (loops), errors seen by either end, anomalous traces and heat', () => {
    const spans = [
      raw({ spanId: '1', service: 'api', operation: 'list', kind: 'server', start: T0, duration: 9_000 }),
    ];
    for (let k = 0; k < 3; k++) {
      spans.push(
        raw({
          spanId: `c${k}`,
          parentId: '1',
          service: 'api',
          operation: 'get',
          kind: 'client',
          start: T0 + k * 2_000,
          duration: 1_500,
          error: k === 2,
        }),
        raw({
          spanId: `d${k}`,
          parentId: `c${k}`,
          service: 'db',
          operation: 'get',
          kind: 'server',
          start: T0 + k * 2_000 + 100,
          duration: 1_000,
        }),
      );
    }
    const agg = new Aggregates();
    agg.add(trace('c', spans), anomalous('db'));
    agg.add(shopTrace('d', T0 + 5_000), { anomalous: false, rootCauses: [] });
    agg.add(shopTrace('e', T0 + 6_000), anomalous('cart'));
    const b = agg.bucket(T0)!;
    const e = b.edges.get('api:list->db:get')!;
    expect([e.calls, e.callers, e.errors, e.traces, e.anomalous]).toEqual([3, 1, 1, 1, 1]);
    expect(b.endpoints.get('frontend:GET /')!.traces).toBe(2);
    expect(b.endpoints.get('frontend:GET /')!.anomalous).toBe(1);
    expect(b.services.get('db')!.heat).toBe(1);
    expect(b.services.get('cart')!.heat).toBe(1);
    expect(b.services.get('frontend')!.heat).toBe(0);
    expect(b.services.get('cart')!.anomalous).toBe(1);
    expect(b.services.get('redis')!.traces).toBe(2);
  });

  it('counts a call nobody answered on the edge to the peer service its client names', () => {
    const agg = new Aggregates();
    agg.add(
      trace('p', [
        raw({
          spanId: '1',
          service: 'catalog',
          operation: 'Get',
          kind: 'server',
          start: T0,
          duration: 5_000,
        }),
        raw({
          spanId: '2',
          parentId: '1',
          service: 'catalog',
          operation: 'GET product',
          kind: 'client',
          start: T0 + 100,
          duration: 2_000,
          error: true,
          attributes: { 'peer.service': 'cache' },
        }),
        // A client span without a peer names no edge.
        raw({
          spanId: '3',
          parentId: '1',
          service: 'catalog',
          operation: 'x',
          kind: 'client',
          start: T0 + 2_500,
          duration: 10,
        }),
      ]),
    );
    const b = agg.bucket(T0)!;
    expect([...b.edges.keys()]).toEqual(['catalog:Get->cache:GET product']);
    const e = b.edges.get('catalog:Get->cache:GET product')!;
    expect([e.calls, e.errors, e.callers]).toEqual([1, 1, 1]);
    // A client span the server answered is counted once, through its server span.
    const agg2 = new Aggregates();
    agg2.add(shopTrace('q'));
    const withPeer = shopTrace('q');
    withPeer.spans[1].attributes['peer.service'] = 'cart';
    agg2.add(withPeer);
    expect(agg2.bucket(T0)!.edges.get('frontend:GET /->cart:GetCart')!.calls).toBe(2);
    expect(agg2.bucket(T0)!.edges.size).toBe(2);
  });

  it('puts a trace in the minute its first span starts in, whole', () => {
    const agg = new Aggregates();
    agg.add(shopTrace('f', T0 + MINUTE_US - 1_000)); // spans run into the next minute
    agg.add(shopTrace('g', T0 + MINUTE_US));
    expect(agg.minutes()).toEqual([T0, T0 + MINUTE_US]);
    expect(agg.bucket(T0)!.services.get('redis')!.calls).toBe(1);
    expect(agg.bucket(T0 + MINUTE_US)!.services.get('redis')!.calls).toBe(1);
    expect(agg.buckets(T0 + 1, Infinity).map((x) => x.minute)).toEqual([T0 + MINUTE_US]);
  });

  it('merges: two halves give what the whole gives, and survive JSON', () => {
    const traces: Trace[] = [];
    const verdicts: Verdict[] = [];
    for (let i = 0; i < 40; i++) {
      traces.push(
        shopTrace(`h${i}`, T0 + i * 7_000_000, { cartUs: 1_000 + 300 * i, clientError: i % 9 === 0 }),
      );
      verdicts.push(i % 5 === 0 ? anomalous('cart') : { anomalous: false, rootCauses: [] });
    }
    const whole = new Aggregates();
    whole.addBatch(traces, verdicts);
    const a = new Aggregates();
    const b = new Aggregates();
    a.addBatch(
      traces.filter((_, i) => i % 2 === 0),
      verdicts.filter((_, i) => i % 2 === 0),
    );
    b.addBatch(
      traces.filter((_, i) => i % 2 === 1),
      verdicts.filter((_, i) => i % 2 === 1),
    );
    const merged = a.merge(b);
    expect(merged.toJSON()).toEqual(whole.toJSON());
    const back = Aggregates.fromJSON(JSON.parse(JSON.stringify(whole)));
    expect(back.toJSON()).toEqual(whole.toJSON());
    const edges = sumTargets(back.buckets(), 'edge').get('frontend:GET /->cart:GetCart')!;
    expect([edges.calls, edges.errors, edges.anomalous]).toEqual([40, 5, 8]);
  });

  it('refuses malformed encodings with the place named', () => {
    expect(() => Aggregates.fromJSON({ minutes: [{ minute: 5, fields: {} }] })).toThrow(
      /minute 0.*whole minute/,
    );
    expect(() => MinuteBucket.fromFields(T0, [['zz:x', '[1]']], 'redis key k')).toThrow(
      /redis key k, field "zz:x": unknown field prefix/,
    );
    expect(() => MinuteBucket.fromFields(T0, [['ep:a:b', '[1,2,-3,0,0,0,0,1]']], 'k')).toThrow(/element 2/);
    expect(() => MinuteBucket.fromFields(T0, [['ep:a:b', '{']], 'k')).toThrow(/not JSON/);
  });
});
