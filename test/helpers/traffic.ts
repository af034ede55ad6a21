import { Prng } from '../../src/detectors/prng.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { RawSpan, SpanKind } from '../../src/trace/span.js';
import type { Trace } from '../../src/trace/trace.js';

/**
 * A small seeded shop for baseline and explain tests: three endpoints with log-normal latencies and
 * client/server hops, plus switches that inject one known fault each.
 */
export interface Faults {
  /** Multiplies payment:db.query self time. */
  slowLeaf?: number;
  /** payment:db.query fails and the error propagates to the root. */
  deepError?: boolean;
  /** catalog:db.select called this many times instead of 3. */
  nPlusOne?: number;
  /** payment:db.query span not reported, its time still inside payment:Charge. */
  missingLeaf?: boolean;
  /** Extra µs between frontend's client span and cart:GetCart (wire or proxy delay). */
  cartGapUs?: number;
  /** frontend also calls recs:Suggest, a call normal traffic never makes. */
  unseenCall?: boolean;
  /** Multiplies the root's own self time (for caller-blame tests, kept 1 normally). */
  slowRoot?: number;
}

interface Node {
  service: string;
  operation: string;
  kind: SpanKind;
  /** Own work before and after the children, µs. */
  pre: number;
  post: number;
  error?: boolean;
  /** For a client span: µs of wire before and after its server child. */
  wire?: number;
  children: Node[];
}

export class Traffic {
  private readonly rng: Prng;
  private traceNo = 0;

  constructor(seed: number) {
    this.rng = new Prng(seed);
  }

  private normal(): number {
    const u = 1 - this.rng.next();
    const v = this.rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal around `median` µs with ~20% spread. */
  private lat(median: number): number {
    return Math.max(1, Math.round(median * Math.exp(0.2 * this.normal())));
  }

  private call(client: string, server: string, op: string, work: number, children: Node[] = []): Node {
    const half = this.lat(work / 2);
    return {
      service: client,
      operation: `call ${server}`,
      kind: 'client',
      pre: 0,
      post: 0,
      wire: this.lat(400),
      children: [
        { service: server, operation: op, kind: 'server', pre: half, post: this.lat(work / 2), children },
      ],
    };
  }

  private leaf(service: string, operation: string, work: number): Node {
    return { service, operation, kind: 'client', pre: this.lat(work), post: 0, children: [] };
  }

  checkout(f: Faults = {}): Trace {
    const db = this.leaf('payment', 'db.query', 8_000 * (f.slowLeaf ?? 1));
    if (f.deepError) db.error = true;
    const charge = this.call('frontend', 'payment', 'Charge', 4_000, f.missingLeaf ? [] : [db]);
    if (f.missingLeaf) charge.children[0].post += db.pre;
    if (f.deepError) charge.error = charge.children[0].error = true;
    const cart = this.call('frontend', 'cart', 'GetCart', 3_000, [this.leaf('cart', 'redis.get', 1_000)]);
    if (f.cartGapUs) cart.wire! += f.cartGapUs;
    const kids = [cart, charge, this.call('frontend', 'shipping', 'Quote', 5_000)];
    if (f.unseenCall) kids.push(this.call('frontend', 'recs', 'Suggest', 6_000));
    const root: Node = {
      service: 'frontend',
      operation: 'POST /checkout',
      kind: 'server',
      pre: this.lat(2_000 * (f.slowRoot ?? 1)),
      post: this.lat(1_000),
      error: f.deepError,
      children: kids,
    };
    return this.build(root);
  }

  home(f: Faults = {}): Trace {
    const selects: Node[] = [];
    const n = f.nPlusOne ?? 3;
    for (let i = 0; i < n; i++) selects.push(this.leaf('catalog', 'db.select', 2_000));
    const root: Node = {
      service: 'frontend',
      operation: 'GET /home',
      kind: 'server',
      pre: this.lat(1_500),
      post: this.lat(500),
      children: [this.call('frontend', 'catalog', 'List', 2_000, selects)],
    };
    return this.build(root);
  }

  /** An endpoint too rare for its own model. */
  report(): Trace {
    const root: Node = {
      service: 'admin',
      operation: 'GET /report',
      kind: 'server',
      pre: this.lat(3_000),
      post: this.lat(1_000),
      children: [this.call('admin', 'payment', 'Charge', 4_000, [this.leaf('payment', 'db.query', 8_000)])],
    };
    return this.build(root);
  }

  /** Lays the tree out in time (children one after another) and normalizes it like real input. */
  private build(root: Node): Trace {
    const n = ++this.traceNo;
    const traceId = n.toString(16).padStart(32, '0');
    const spans: RawSpan[] = [];
    let nextId = 1;
    const base = 1_700_000_000_000_000 + n * 10_000_000;
    // Iterative layout: each frame places its children from a cursor; durations come from a post-order.
    const dur = new Map<Node, number>();
    const post: Node[] = [];
    const stack: Node[] = [root];
    while (stack.length > 0) {
      const x = stack.pop()!;
      post.push(x);
      for (const c of x.children) stack.push(c);
    }
    for (let i = post.length - 1; i >= 0; i--) {
      const x = post[i];
      let d = x.pre + x.post + 2 * (x.wire ?? 0);
      for (const c of x.children) d += dur.get(c)!;
      dur.set(x, d);
    }
    const place: Array<{ node: Node; start: number; parent?: string }> = [{ node: root, start: base }];
    while (place.length > 0) {
      const { node, start, parent } = place.pop()!;
      const spanId = (nextId++).toString(16).padStart(16, '0');
      spans.push({
        traceId,
        spanId,
        parentId: parent,
        service: node.service,
        operation: node.operation,
        kind: node.kind,
        start,
        duration: dur.get(node)!,
        error: node.error === true,
        attributes: {},
        resource: {},
        events: 0,
        instance: `${node.service}-0`,
      });
      let cursor = start + node.pre + (node.wire ?? 0);
      for (const c of node.children) {
        place.push({ node: c, start: cursor, parent: spanId });
        cursor += dur.get(c)!;
      }
    }
    return normalizeTrace(traceId, spans, { clockSkew: false });
  }
}

/** `n` normal traces: 2/3 checkout, 1/3 home, plus `rare` report traces. */
export function normalTraffic(seed: number, n: number, rare = 5): { traffic: Traffic; traces: Trace[] } {
  const traffic = new Traffic(seed);
  const traces: Trace[] = [];
  for (let i = 0; i < n; i++) traces.push(i % 3 === 2 ? traffic.home() : traffic.checkout());
  for (let i = 0; i < rare; i++) traces.push(traffic.report());
  return { traffic, traces };
}
