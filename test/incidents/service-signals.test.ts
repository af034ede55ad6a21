import { describe, expect, it } from 'vitest';
import { blameHops, detectServiceSignals, withoutSpeedup } from '../../src/incidents/service-signals.js';
import type { Signal } from '../../src/incidents/signal.js';
import type { RawSpan } from '../../src/trace/span.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { trainModelSet } from '../../src/scoring/train.js';
import { extractProfile } from '../../src/features/profile.js';
import { ShiftEvidence } from '../../src/incidents/shift-evidence.js';
import { raw } from '../helpers/spans.js';

const signal = (kind: Signal['kind'], service: string): Signal => ({
  kind,
  target: { type: 'service', key: service },
  minute: 0,
  strength: 2,
  value: 0.2,
  baseline: 0.05,
  evidence: `${kind} ${service}`,
  suspect: service,
});

describe('early returns from several services at once', () => {
  // frontend calls checkout and cart; checkout calls payment.
  const edges = new Set(['frontend->checkout', 'frontend->cart', 'checkout->payment']);
  const calls = (client: string, server: string) => edges.has(`${client}->${server}`);

  it('are the system getting faster when two of them call neither: dropped, other kinds kept', () => {
    const two = ['cart', 'payment'].map((s) => signal('early-return', s));
    const errors = signal('error-rate', 'cart');
    expect(withoutSpeedup([...two, errors], calls)).toEqual([errors]);
    const many = ['frontend', 'cart', 'checkout', 'payment'].map((s) => signal('early-return', s));
    expect(withoutSpeedup(many, calls)).toEqual([]);
  });

  it('from a service and its callers stay: one service that skips its work', () => {
    const chain = ['frontend', 'checkout', 'payment'].map((s) => signal('early-return', s));
    expect(withoutSpeedup(chain, calls)).toEqual(chain);
    const one = [signal('early-return', 'cart')];
    expect(withoutSpeedup(one, calls)).toEqual(one);
  });
});

describe('who a grown gap into a service is blamed on', () => {
  // frontend calls currency and cart; its calls into currency wait longer, cart is failing.
  const calls = new Map([['frontend', new Set(['currency', 'cart'])]]);
  const cur = new Map([
    ['pair|frontend->currency', { k: 40, n: 100, expected: 5 }],
    ['pair|frontend->cart', { k: 4, n: 100, expected: 5 }],
  ]);
  const gap = (key: string): Signal => ({
    ...signal('gap-shift', key),
    target: { type: 'hop', key },
    suspect: undefined,
  });
  const blamed = (extra: Signal[]) => {
    const hops = [gap('*->currency'), gap('frontend->*')];
    blameHops([...hops, ...extra], cur, calls, new Set(['cart']));
    return hops.map((h) => h.suspect);
  };

  it('is the server when the failing service is only a sibling of it', () => {
    expect(blamed([])).toEqual(['currency', 'currency']);
  });

  it('is the failing callee when the client changed its calls in reaction (retries, a fallback)', () => {
    expect(blamed([signal('structure-change', 'frontend')])).toEqual(['cart', 'cart']);
  });
});

describe('one slow instance of several', () => {
  const MINUTE = 60_000_000;
  /** One minute of eta's Estimate on three pods, 20 spans judged on each; `slow[i]` beyond the p95 on pod i. */
  const minute = (m: number, slow: number[]) => {
    const instances = Object.fromEntries(
      slow.map((k, i) => [`eta-${i}`, { spans: 20, selfZ: 0, tailJudged: 20, slow: k }]),
    );
    const k = slow.reduce((a, b) => a + b, 0);
    const op = { service: 'eta', operation: 'Estimate', spans: 60, selfZ: 0, durZ: 0, judged: 60 };
    const counts = { tailJudged: 60, slow: k, entryJudged: 0, early: 0, errorJudged: 0, errorOrigins: 0 };
    return {
      minute: m * MINUTE,
      evidence: ShiftEvidence.fromJSON({
        traces: 60,
        anomalous: 0,
        scoreSum: 0,
        services: {},
        operations: {
          'eta:Estimate': { ...op, ...counts, errorCalls: 0, errorExpected: 0, instances },
        },
        calls: {},
      }),
    };
  };
  // Ten ordinary minutes (one span in twenty beyond the p95 on each pod, as the model expects).
  const history = Array.from({ length: 10 }, (_, m) => minute(m, [1, 1, 1]));
  const slowOf = (last: number[]) =>
    detectServiceSignals([...history, minute(10, last)], {}, 10 * MINUTE).filter(
      (s) => s.kind === 'latency-shift',
    );

  it('fires on that instance, naming its service, where the service as a whole stays within its spread', () => {
    // 11 of the service's 60 spans beyond the p95 (18%) stay below the z the service is judged by.
    const fired = slowOf([1, 1, 9]);
    expect(fired.map((s) => s.suspect)).toEqual(['eta']);
    expect(fired[0].target).toEqual({ type: 'service', key: 'eta' });
    expect(fired[0].evidence).toMatch(/^eta, instance eta-2: 9 of 20 of its spans \(45%\) took longer/);
  });

  it('stays quiet when every instance looks as usual', () => {
    expect(slowOf([1, 2, 1])).toEqual([]);
  });
});

describe('a service error rate', () => {
  /** frontend -> cart; cart answers with a server span, a handler span and a cache client span that fails. */
  function cartTrace(n: number, fail: boolean) {
    const id = n.toString(16).padStart(32, '0');
    const t0 = 1_700_000_000_000_000 + n * 1000;
    const j = (x: number) => x * (1 + 0.2 * Math.sin(n * 7.3 + x));
    const s = (over: Partial<RawSpan> & { spanId: string }) => raw({ traceId: id, start: t0, ...over });
    return normalizeTrace(id, [
      s({
        spanId: 'a',
        service: 'frontend',
        operation: 'GET /cart',
        kind: 'server',
        duration: j(9000),
        error: fail,
      }),
      s({
        spanId: 'b',
        parentId: 'a',
        service: 'frontend',
        operation: 'GET',
        kind: 'client',
        start: t0 + 500,
        duration: j(6000),
        error: fail,
      }),
      s({
        spanId: 'c',
        parentId: 'b',
        service: 'cart',
        operation: 'GET /carts/:user',
        kind: 'server',
        start: t0 + 900,
        duration: j(4000),
        error: fail,
      }),
      s({
        spanId: 'd',
        parentId: 'c',
        service: 'cart',
        operation: 'request handler',
        start: t0 + 1000,
        duration: j(3000),
      }),
      s({
        spanId: 'e',
        parentId: 'd',
        service: 'cart',
        operation: 'GET',
        kind: 'client',
        start: t0 + 1100,
        duration: j(1500),
        error: fail,
      }),
    ]);
  }

  it('is a share of the calls the service answered, not of its spans', async () => {
    const model = await trainModelSet(
      Array.from({ length: 300 }, (_, i) => cartTrace(i, false)),
      { seed: 1, autoencoder: false },
    );
    const test = Array.from({ length: 90 }, (_, i) => cartTrace(1000 + i, i % 3 === 0));
    const scored = model.score(test);
    const ev = new ShiftEvidence();
    test.forEach((t, i) => ev.add(t, extractProfile(t), scored[i], model.baseline));
    model.dispose();
    const ops = [...ev.operations.values()].filter((o) => o.service === 'cart');
    const sum = (f: (o: (typeof ops)[number]) => number) => ops.reduce((a, o) => a + f(o), 0);
    // One failing cache call in a third of the 90 calls: 30 origins over 90 calls, not over 270 spans.
    expect(sum((o) => o.errorOrigins)).toBe(30);
    expect(sum((o) => o.errorCalls)).toBe(90);
    expect(sum((o) => o.errorJudged)).toBe(270);
  });
});
