import { describe, expect, it } from 'vitest';
import { trainBaseline } from '../../src/detectors/baseline/index.js';
import { explainTrace, formatMs, type RootCause } from '../../src/explain/index.js';
import { formatShareOf } from '../../src/explain/format.js';
import { extractProfile } from '../../src/features/profile.js';
import type { Trace } from '../../src/trace/trace.js';
import { normalTraffic } from '../helpers/traffic.js';

const { traffic, traces } = normalTraffic(3, 300);
const model = trainBaseline(traces);
const explain = (t: Trace) => explainTrace(t, extractProfile(t), model);
const where = (c: RootCause) => `${c.service}:${c.operation}`;

function checkShape(causes: RootCause[]) {
  let sum = 0;
  for (let k = 0; k < causes.length; k++) {
    expect(causes[k].contribution).toBeGreaterThan(0);
    expect(causes[k].contribution).toBeLessThanOrEqual(1);
    if (k > 0) expect(causes[k].contribution).toBeLessThanOrEqual(causes[k - 1].contribution);
    expect(causes[k].evidence).toMatch(/\.$/);
    sum += causes[k].contribution;
  }
  expect(sum).toBeLessThanOrEqual(1 + 1e-9);
}

describe('explainTrace', () => {
  it('blames a slow leaf, not the callers that waited for it', () => {
    const causes = explain(traffic.checkout({ slowLeaf: 12 }));
    checkShape(causes);
    expect(causes[0].kind).toBe('latency');
    expect(where(causes[0])).toBe('payment:db.query');
    expect(causes[0].contribution).toBeGreaterThan(0.8);
    expect(causes[0].instance).toBe('payment-0');
    expect(causes[0].evidence).toMatch(
      /^payment:db\.query self time \d+ ms, normal p50 [\d.]+ ms and p99 [\d.]+ ms/,
    );
    const callers = causes.filter((c) => c.operation === 'Charge' || c.operation === 'POST /checkout');
    for (const c of callers) expect(c.contribution).toBeLessThan(0.1);
  });

  it('blames a slow root on its own self time', () => {
    const causes = explain(traffic.checkout({ slowRoot: 20 }));
    checkShape(causes);
    expect(where(causes[0])).toBe('frontend:POST /checkout');
    expect(causes[0].kind).toBe('latency');
  });

  it('puts an error at the deepest failing span', () => {
    const causes = explain(traffic.checkout({ deepError: true }));
    checkShape(causes);
    const errors = causes.filter((c) => c.kind === 'error');
    expect(errors.map(where)).toEqual(['payment:db.query']);
    expect(causes[0]).toBe(errors[0]);
  });

  it('calls an N+1 a structure problem of the caller', () => {
    const causes = explain(traffic.home({ nPlusOne: 25 }));
    checkShape(causes);
    expect(causes[0].kind).toBe('structure');
    expect(where(causes[0])).toBe('catalog:List');
    expect(causes[0].evidence).toContain('catalog:db.select 25 times, normally 3');
  });

  it('names an unseen call', () => {
    const causes = explain(traffic.checkout({ unseenCall: true }));
    expect(causes[0].kind).toBe('structure');
    expect(causes[0].evidence).toContain('recs:Suggest');
  });

  it('sees a missing child with a gap as instrumentation on the parent', () => {
    const causes = explain(traffic.checkout({ missingLeaf: true }));
    checkShape(causes);
    expect(causes[0].kind).toBe('instrumentation');
    expect(where(causes[0])).toBe('payment:Charge');
    expect(causes[0].evidence).toContain('payment:db.query is missing');
    expect(causes.some((c) => c.kind === 'latency' && c.operation === 'Charge')).toBe(false);
  });

  it('blames a client/server gap on the edge, naming both ends', () => {
    const causes = explain(traffic.checkout({ cartGapUs: 150_000 }));
    checkShape(causes);
    expect(causes[0].kind).toBe('network');
    expect(where(causes[0])).toBe('cart:GetCart');
    expect(causes[0].evidence).toMatch(/^frontend -> cart:GetCart: 30\d ms/);
    // One slow hop from a caller whose other calls are fine: the callee's side, not the caller's.
    expect(causes[0].evidence).toContain("frontend's calls to other services are at normal speed");
    expect(causes.some((c) => c.kind === 'latency' && c.service === 'frontend')).toBe(false);
  });

  it('says how many normal traces a share rests on, never a bare 100% or 0%', () => {
    const n = model.endpointModel('frontend:POST /checkout')!.traces;
    const unseen = explain(traffic.checkout({ unseenCall: true }))[0].evidence;
    expect(unseen).toContain(`a call none of the ${n} normal traces of this endpoint made.`);
    const error = explain(traffic.checkout({ deepError: true })).find((c) => c.kind === 'error')!.evidence;
    expect(error).toMatch(/in normal traffic none of the \d+ calls failed\.$/);
    for (const c of [
      ...explain(traffic.checkout({ unseenCall: true })),
      ...explain(traffic.home({ nPlusOne: 9 })),
    ])
      expect(c.evidence).not.toMatch(/\b(100|0)% of normal/);
  });

  it('says nothing about a normal trace', () => {
    let quiet = 0;
    for (let i = 0; i < 30; i++) if (explain(traffic.checkout()).length === 0) quiet++;
    expect(quiet).toBeGreaterThanOrEqual(27);
  });
});

describe('formatShareOf', () => {
  it('counts a small sample, shares a large one, and never rounds a share to all or none', () => {
    expect(formatShareOf(1, 37, 'normal traces')).toBe('all 37 normal traces');
    expect(formatShareOf(0, 37, 'normal traces')).toBe('none of the 37 normal traces');
    expect(formatShareOf(36 / 37, 37, 'normal traces')).toBe('36 of the 37 normal traces');
    expect(formatShareOf(2398 / 2400, 2400, 'calls')).toBe('over 99% of the 2400 calls');
    expect(formatShareOf(0.25, 2400, 'calls')).toBe('25% of the 2400 calls');
    expect(formatShareOf(1, 1, 'normal traces')).toBe('1 of the 1 normal traces');
    expect(formatShareOf(0.5, undefined, 'normal traces')).toBe('50% of normal traces');
  });
});

describe('formatMs', () => {
  it('rounds like a person would', () => {
    expect(formatMs(350)).toBe('0.35 ms');
    expect(formatMs(3_240)).toBe('3.2 ms');
    expect(formatMs(840_400)).toBe('840 ms');
    expect(formatMs(1_843_000)).toBe('1.84 s');
    expect(formatMs(126_000_000)).toBe('2.1 min');
  });
});
