import { describe, expect, it } from 'vitest';
import { trainBaseline } from '../../src/detectors/baseline/index.js';
import { Prng } from '../../src/detectors/prng.js';
import { explainTrace, type RootCause } from '../../src/explain/index.js';
import { extractProfile } from '../../src/features/profile.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { RawSpan, SpanKind } from '../../src/trace/span.js';
import type { Trace } from '../../src/trace/trace.js';

/**
 * One endpoint, hand-built, to pin down who gets the blame when the evidence sits between two services:
 *
 *   gw:GET /trip
 *     -> travel:Search -> route:Get -> maps:Tile
 *                      -> train:Get
 *     -> pay:Charge -> ledger:Post
 *     -> ledger:Post
 *     -> cache:GET      (client span carries peer.service)
 *     -> stock:Check    (4 times)
 *
 * Every "-> x" is a client span of the caller with a server span of x below it.
 */
interface Faults {
  /** Extra µs of wire on each side of these hops, "client>server". */
  gaps?: Record<string, number>;
  /** stock:Check called this many times (normally 4); the first `stockFails` of them fail. */
  stockCalls?: number;
  stockFails?: number;
  /** The server spans of the first this many stock:Check calls are not reported. */
  stockLost?: number;
  /** The cache refuses the connection: an erroring client span and no server span. */
  cacheDown?: boolean;
  /** travel's server span is not reported (nor the client spans it makes). */
  travelLost?: boolean;
  /** Multiplies the self time of every server span (queues growing everywhere, as under a surge). */
  load?: number;
  /** Multiplies the self time of these services' server spans. */
  slow?: Record<string, number>;
  /** pay:Charge fails; gw gives up after it, skipping every call it would have made next. */
  payFails?: boolean;
}

interface Node {
  service: string;
  operation: string;
  kind: SpanKind;
  self: number;
  wire: number;
  error: boolean;
  lost: boolean;
  attributes: Record<string, string>;
  children: Node[];
}

class Trips {
  private readonly rng = new Prng(11);
  private n = 0;

  private lat(median: number): number {
    return Math.max(1, Math.round(median * (0.85 + 0.3 * this.rng.next())));
  }

  private f: Faults = {};

  private server(service: string, operation: string, self: number, children: Node[] = []): Node {
    const lost = false;
    const attributes = {};
    return {
      service,
      operation,
      kind: 'server',
      self: this.lat(self * (this.f.load ?? 1) * (this.f.slow?.[service] ?? 1)),
      wire: 0,
      error: false,
      lost,
      attributes,
      children,
    };
  }

  private call(f: Faults, from: string, to: Node): Node {
    const extra = f.gaps?.[`${from}>${to.service}`] ?? 0;
    return {
      service: from,
      operation: `call ${to.service}`,
      kind: 'client',
      self: 0,
      wire: this.lat(300) + extra,
      error: false,
      lost: false,
      attributes: { 'peer.service': to.service },
      children: [to],
    };
  }

  trip(f: Faults = {}): Trace {
    this.f = f;
    const maps = this.call(f, 'route', this.server('maps', 'Tile', 2_000));
    const route = this.call(f, 'travel', this.server('route', 'Get', 3_000, [maps]));
    const train = this.call(f, 'travel', this.server('train', 'Get', 2_500));
    const travelSrv = this.server('travel', 'Search', 4_000, [route, train]);
    if (f.travelLost) {
      travelSrv.lost = true;
      route.lost = train.lost = true;
    }
    const pay = this.call(
      f,
      'gw',
      this.server('pay', 'Charge', 3_000, [this.call(f, 'pay', this.server('ledger', 'Post', 2_000))]),
    );
    const cache = this.call(f, 'gw', this.server('cache', 'GET', 500));
    if (f.cacheDown) {
      cache.children = [];
      cache.error = true;
      cache.wire = this.lat(1_500);
    }
    const stocks: Node[] = [];
    for (let k = 0; k < (f.stockCalls ?? 4); k++) {
      const c = this.call(f, 'gw', this.server('stock', 'Check', 1_500));
      if (k < (f.stockFails ?? 0)) c.error = c.children[0].error = true;
      if (k < (f.stockLost ?? 0)) c.children[0].lost = true;
      stocks.push(c);
    }
    const kids = [
      this.call(f, 'gw', travelSrv),
      pay,
      this.call(f, 'gw', this.server('ledger', 'Post', 2_000)),
      cache,
      ...stocks,
    ];
    if (f.payFails) {
      pay.error = pay.children[0].error = true;
      pay.children[0].children = [];
      kids.splice(2);
    }
    const gw = this.server('gw', 'GET /trip', 1_000, kids);
    gw.error = f.payFails === true;
    return this.build(gw);
  }

  /** Children run one after another; a client span is its wire on both sides around its server span. */
  private build(root: Node): Trace {
    const traceId = (++this.n).toString(16).padStart(32, '0');
    const dur = new Map<Node, number>();
    const post: Node[] = [];
    const stack = [root];
    while (stack.length > 0) {
      const x = stack.pop()!;
      post.push(x);
      stack.push(...x.children);
    }
    for (let i = post.length - 1; i >= 0; i--) {
      const x = post[i];
      dur.set(
        x,
        x.children.reduce((d, c) => d + dur.get(c)!, x.self + 2 * x.wire),
      );
    }
    const spans: RawSpan[] = [];
    let id = 0;
    const place: Array<{ node: Node; start: number; parent?: string }> = [
      { node: root, start: 1_700_000_000_000_000 + this.n * 10_000_000 },
    ];
    while (place.length > 0) {
      const { node, start, parent } = place.pop()!;
      const spanId = (++id).toString(16).padStart(16, '0');
      if (!node.lost)
        spans.push({
          traceId,
          spanId,
          parentId: parent,
          service: node.service,
          operation: node.operation,
          kind: node.kind,
          start,
          duration: dur.get(node)!,
          error: node.error,
          attributes: node.attributes,
          resource: {},
          events: 0,
          instance: `${node.service}-0`,
        });
      let cursor = start + node.wire + Math.round(node.self / 2);
      for (const c of node.children) {
        place.push({ node: c, start: cursor, parent: spanId });
        cursor += dur.get(c)!;
      }
    }
    return normalizeTrace(traceId, spans, { clockSkew: false });
  }
}

const trips = new Trips();
const normal: Trace[] = [];
for (let i = 0; i < 300; i++) normal.push(trips.trip());
const model = trainBaseline(normal);
const explain = (t: Trace) => explainTrace(t, extractProfile(t), model);
const first = (causes: RootCause[]) => causes[0] ?? { service: '(none)', kind: '(none)', evidence: '' };

describe('who is blamed for a slow hop', () => {
  it('blames the caller whose calls to several services are slow', () => {
    const c = first(explain(trips.trip({ gaps: { 'travel>route': 60_000, 'travel>train': 60_000 } })));
    expect(c.kind).toBe('network');
    expect(c.service).toBe('travel');
    expect(c.operation).toMatch(/^call (route|train)$/);
    expect(c.evidence).toMatch(/^travel -> (route|train):Get: /);
    expect(c.evidence).toContain("travel's calls to 2 services are slow");
  });

  it('blames the callee that several callers reach slowly', () => {
    const c = first(explain(trips.trip({ gaps: { 'gw>ledger': 60_000, 'pay>ledger': 60_000 } })));
    expect(c.kind).toBe('network');
    expect(c.service).toBe('ledger');
    expect(c.evidence).toContain('calls from 2 services to ledger are slow');
  });

  it('with one slow hop, exonerates a caller whose other calls are fine', () => {
    // travel also calls train at normal speed, and nobody else calls route.
    const c = first(explain(trips.trip({ gaps: { 'travel>route': 60_000 } })));
    expect(c.kind).toBe('network');
    expect(c.service).toBe('route');
    expect(c.evidence).toMatch(
      /^travel -> route:Get: .*travel's calls to other services are at normal speed/,
    );
  });

  it('with one slow hop, exonerates a callee that other callers reach at normal speed', () => {
    // pay calls only ledger; gw reaches ledger at normal speed.
    const c = first(explain(trips.trip({ gaps: { 'pay>ledger': 60_000 } })));
    expect(c.service).toBe('pay');
    expect(c.operation).toBe('call ledger');
    expect(c.evidence).toContain('other callers reach ledger at normal speed');
  });

  it('with one slow hop and nothing to compare, blames the callee the call queued at, naming both ends', () => {
    // route calls only maps, and only route calls maps.
    const c = first(explain(trips.trip({ gaps: { 'route>maps': 60_000 } })));
    expect(c.kind).toBe('network');
    expect(c.service).toBe('maps');
    expect(c.evidence).toMatch(/^route -> maps:Tile: .*queued at the server/);
    // Where the wait sat, as the trace shows it: the fault adds 60 ms of wire on each side of the span.
    expect(c.evidence).toMatch(/; 6\d ms of it before the server span began and 6\d ms after it ended; /);
  });

  it('blames the service late both on the calls it makes and on the answers it gives', () => {
    // route's sending is held up: travel waits for its answer, maps for its call; one hop each for them.
    const causes = explain(trips.trip({ gaps: { 'travel>route': 60_000, 'route>maps': 60_000 } }));
    const network = causes.filter((x) => x.kind === 'network');
    expect(network.map((x) => x.service)).toEqual(['route', 'route']);
    expect(network.find((x) => x.evidence.startsWith('route -> maps'))?.evidence).toContain(
      'route is late on 2 of its hops in this trace',
    );
  });

  it('with one slow hop, blames the end whose own spans are slow too', () => {
    const c = first(explain(trips.trip({ gaps: { 'route>maps': 60_000 }, slow: { route: 40 } })));
    expect(c.service).toBe('route');
  });
});

describe('repeated calls, unanswered calls and lost spans', () => {
  it('blames the failing callee for retries, not the caller that retried', () => {
    const causes = explain(trips.trip({ stockCalls: 7, stockFails: 3 }));
    const c = first(causes);
    expect(c.service).toBe('stock');
    expect(c.kind).toBe('error');
    expect(causes.some((x) => x.kind === 'structure' && x.service === 'gw')).toBe(false);
    // The extra calls' share of the blame goes to stock too (merged with its error finding).
    const onStock = causes.filter((x) => x.service === 'stock').reduce((t, x) => t + x.contribution, 0);
    expect(onStock).toBeGreaterThan(0.9);
  });

  it('blames the caller for extra calls to a healthy callee (N+1)', () => {
    const c = first(explain(trips.trip({ stockCalls: 16 })));
    expect(c.kind).toBe('structure');
    expect(c.service).toBe('gw');
    expect(c.evidence).toMatch(/16 times, normally 4/);
  });

  it('does not take an N+1 meeting an odd failure for retries', () => {
    const c = first(explain(trips.trip({ stockCalls: 16, stockFails: 1 })));
    expect(c.service).toBe('gw');
    expect(c.evidence).toMatch(/16 times, normally 4/);
  });

  it('blames an error where it starts, the calls skipped after it being its consequences', () => {
    const causes = explain(trips.trip({ payFails: true }));
    const c = first(causes);
    expect(c.service).toBe('pay');
    expect(c.kind).toBe('error');
    // gw skipped ledger, cache and stock after pay failed: no structure finding of its own.
    expect(causes.some((x) => x.kind === 'structure' && x.service === 'gw')).toBe(false);
    const onPay = causes.filter((x) => x.service === 'pay').reduce((t, x) => t + x.contribution, 0);
    expect(onPay).toBeGreaterThan(0.9);
  });

  it('blames the server whose spans are missing under calls that were made', () => {
    const causes = explain(trips.trip({ stockLost: 3 }));
    expect(first(causes).service).toBe('stock');
    expect(first(causes).kind).toBe('instrumentation');
    expect(first(causes).evidence).toMatch(/stock:Check 1 times, normally 4 .*3 of them have no server span/);
  });

  it('blames an unreachable cache for a call that failed without a server span', () => {
    const causes = explain(trips.trip({ cacheDown: true }));
    expect(first(causes).service).toBe('cache');
    const err = causes.find((x) => x.kind === 'error');
    expect(err?.service).toBe('cache');
    expect(err?.evidence).toMatch(/^gw:call cache, a call to cache, failed .*no server span answering it/);
  });

  it('blames the service whose spans went missing, not the caller that shows the hole', () => {
    const causes = explain(trips.trip({ travelLost: true }));
    expect(first(causes).service).toBe('travel');
    expect(first(causes).kind).toBe('instrumentation');
    // The orphaned route/train spans are not new calls of the endpoint.
    expect(
      causes.some((x) => x.kind === 'structure' && (x.service === 'route' || x.service === 'train')),
    ).toBe(false);
  });
});

describe('a slowdown with no single owner', () => {
  it('names the endpoint when the excess is spread thinly over many services', () => {
    const causes = explain(trips.trip({ load: 4 }));
    const c = first(causes);
    expect(c.kind).toBe('latency');
    expect(`${c.service}:${c.operation}`).toBe('gw:GET /trip');
    expect(c.evidence).toMatch(/spread over \d+ services, none with more than \d+% of it/);
  });

  it('still names the one service that carries most of the excess', () => {
    const causes = explain(trips.trip({ slow: { travel: 12, route: 3, train: 3, pay: 3 } }));
    expect(first(causes).service).toBe('travel');
    expect(causes.some((x) => /spread over/.test(x.evidence))).toBe(false);
  });
});
