import { describe, expect, it } from 'vitest';
import { trainBaseline } from '../../src/detectors/baseline/index.js';
import { Prng } from '../../src/detectors/prng.js';
import { explainTrace, type RootCause } from '../../src/explain/index.js';
import { extractProfile } from '../../src/features/profile.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { RawSpan } from '../../src/trace/span.js';
import type { Trace } from '../../src/trace/trace.js';

/**
 * One endpoint with work in parallel and repeated calls, hand-built with explicit times:
 *
 *   gw:GET /x
 *     -> slow:Work   \ in parallel (slow:Work is the critical path)
 *     -> fast:Work   /
 *     -> shelf:Get x4, one after another, each -> bin:Read x2
 */
interface Faults {
  /** Multiplies fast:Work's self time. */
  fast?: number;
  /** The call to fast:Work gives up after this many µs (DEADLINE_EXCEEDED); fast:Work does not fail. */
  fastTimeoutUs?: number;
  /** The first this many shelf:Get server spans, and the calls they make, are not reported. */
  shelvesLost?: number;
}

class Shop {
  private readonly rng = new Prng(5);
  private n = 0;

  private lat(median: number): number {
    return Math.max(1, Math.round(median * (0.85 + 0.3 * this.rng.next())));
  }

  trace(f: Faults = {}): Trace {
    const traceId = (++this.n).toString(16).padStart(32, '0');
    const spans: RawSpan[] = [];
    let ids = 0;
    const newId = () => (++ids).toString(16).padStart(16, '0');
    const span = (
      spanId: string,
      o: Partial<RawSpan> & Pick<RawSpan, 'service' | 'operation' | 'start' | 'duration'>,
    ) =>
      spans.push({
        traceId,
        spanId,
        kind: 'server',
        error: false,
        attributes: {},
        resource: {},
        events: 0,
        instance: `${o.service}-0`,
        ...o,
      });
    const t0 = 1_700_000_000_000_000 + this.n * 10_000_000;
    const rootId = newId();
    const wire = () => this.lat(200);

    // The parallel pair.
    const start = t0 + this.lat(500);
    let end = start;
    for (const [svc, self, factor] of [
      ['slow', 10_000, 1],
      ['fast', 2_000, f.fast ?? 1],
    ] as const) {
      const w = wire();
      const serverDur = this.lat(self * factor);
      let clientDur = serverDur + 2 * w;
      const timeout = svc === 'fast' ? f.fastTimeoutUs : undefined;
      const timedOut = timeout !== undefined && clientDur > timeout;
      if (timedOut) clientDur = timeout;
      const callId = newId();
      span(callId, {
        service: 'gw',
        operation: `call ${svc}`,
        kind: 'client',
        start,
        duration: clientDur,
        parentId: rootId,
        error: timedOut,
        statusMessage: timedOut ? 'DEADLINE_EXCEEDED' : undefined,
        attributes: { 'peer.service': svc },
      });
      span(newId(), {
        service: svc,
        operation: 'Work',
        start: start + w,
        duration: serverDur,
        parentId: callId,
      });
      end = Math.max(end, start + clientDur);
    }

    // Shelves one after another, each reading two bins; a lost shelf loses the calls it made too.
    let cursor = end;
    for (let k = 0; k < 4; k++) {
      const lost = k < (f.shelvesLost ?? 0);
      const callId = newId();
      const shelfId = newId();
      const w = wire();
      const shelfStart = cursor + w;
      let t = shelfStart + this.lat(300);
      for (let b = 0; b < 2; b++) {
        const bw = wire();
        const binDur = this.lat(800);
        const binCallId = newId();
        if (!lost)
          span(binCallId, {
            service: 'shelf',
            operation: 'call bin',
            kind: 'client',
            start: t,
            duration: binDur + 2 * bw,
            parentId: shelfId,
            attributes: { 'peer.service': 'bin' },
          });
        span(newId(), {
          service: 'bin',
          operation: 'Read',
          start: t + bw,
          duration: binDur,
          parentId: binCallId,
        });
        t += binDur + 2 * bw;
      }
      const shelfDur = t + this.lat(300) - shelfStart;
      span(callId, {
        service: 'gw',
        operation: 'call shelf',
        kind: 'client',
        start: cursor,
        duration: shelfDur + 2 * w,
        parentId: rootId,
        attributes: { 'peer.service': 'shelf' },
      });
      if (!lost)
        span(shelfId, {
          service: 'shelf',
          operation: 'Get',
          start: shelfStart,
          duration: shelfDur,
          parentId: callId,
        });
      cursor += shelfDur + 2 * w;
    }
    span(rootId, { service: 'gw', operation: 'GET /x', start: t0, duration: cursor + this.lat(500) - t0 });
    return normalizeTrace(traceId, spans, { clockSkew: false });
  }
}

const shop = new Shop();
const normal: Trace[] = [];
for (let i = 0; i < 300; i++) normal.push(shop.trace());
const model = trainBaseline(normal);
const explain = (t: Trace) => explainTrace(t, extractProfile(t), model);
const first = (causes: RootCause[]) => causes[0] ?? { service: '(none)', kind: '(none)', evidence: '' };

describe('a slow span beside the critical path', () => {
  it('is named even though it did not delay the response', () => {
    // fast:Work triples (6 ms) but slow:Work (10 ms) still holds the path: the root's duration is normal.
    const causes = explain(shop.trace({ fast: 3 }));
    const c = first(causes);
    expect(c.kind).toBe('latency');
    expect(`${c.service}:${c.operation}`).toBe('fast:Work');
    expect(c.evidence).toMatch(/^fast:Work self time [\d.]+ ms, .*off the critical path/);
    // The caller that waited, and the work on the path, are not blamed.
    expect(causes.some((x) => x.service === 'gw' || x.service === 'slow')).toBe(false);
  });

  it('leaves a normal trace without causes', () => {
    let quiet = 0;
    for (let i = 0; i < 30; i++) if (explain(shop.trace()).length === 0) quiet++;
    expect(quiet).toBeGreaterThanOrEqual(27);
  });
});

describe('a call that timed out', () => {
  it('is blamed on the callee that kept the caller waiting, not on the caller', () => {
    // fast:Work takes its usual 2 ms, but the caller gives up after 1.5 ms.
    const causes = explain(shop.trace({ fastTimeoutUs: 1_500 }));
    const c = first(causes);
    expect(c.service).toBe('fast');
    expect(c.kind).toBe('latency');
    expect(c.evidence).toMatch(
      /^gw:call fast failed \("DEADLINE_EXCEEDED"\) after 1\.5 ms while fast:Work took [\d.]+ ms and did not fail/,
    );
    expect(causes.some((x) => x.kind === 'error' && x.service === 'gw')).toBe(false);
  });

  it('still blames a slow callee first when it was also slow', () => {
    const causes = explain(shop.trace({ fast: 20, fastTimeoutUs: 15_000 }));
    expect(first(causes).service).toBe('fast');
    expect(causes.some((x) => x.kind === 'error' && x.service === 'gw')).toBe(false);
  });
});
