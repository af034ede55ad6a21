import { describe, expect, it } from 'vitest';
import { BaselineModel, trainBaseline } from '../../src/detectors/baseline/index.js';
import { explainTrace } from '../../src/explain/index.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import type { RawSpan } from '../../src/trace/span.js';
import { normalTraffic } from '../helpers/traffic.js';

const { traffic, traces } = normalTraffic(7, 300);
const model = trainBaseline(traces);
const normals = Array.from({ length: 120 }, (_, i) => (i % 3 === 2 ? traffic.home() : traffic.checkout()));
const normalScores = normals.map((t) => model.score(t).score);
const normalMax = Math.max(...normalScores);

describe('baseline scoring', () => {
  it('keeps normal traffic quiet', () => {
    const quiet = normalScores.filter((s) => s === 0).length;
    expect(quiet / normalScores.length).toBeGreaterThan(0.9);
    expect(normalMax).toBeLessThan(2);
  });

  it('flags a slow leaf with self-time evidence on that leaf', () => {
    const s = model.score(traffic.checkout({ slowLeaf: 10 }));
    expect(s.score).toBeGreaterThan(normalMax * 3);
    const self = s.evidence.filter((e) => e.kind === 'self-time');
    expect(self[0].service + ':' + self[0].operation).toBe('payment:db.query');
    expect(self[0].normalP99!).toBeLessThan(self[0].observed);
  });

  it('flags an error that starts deep only at its origin', () => {
    const s = model.score(traffic.checkout({ deepError: true }));
    const errors = s.evidence.filter((e) => e.kind === 'error');
    expect(errors.map((e) => e.operation)).toEqual(['db.query']);
    expect(s.score).toBeGreaterThan(normalMax);
  });

  it('flags an N+1 call count', () => {
    const s = model.score(traffic.home({ nPlusOne: 20 }));
    const c = s.evidence.find((e) => e.kind === 'call-count');
    expect(c?.operation).toBe('db.select');
    expect(c?.observed).toBe(20);
    expect(c?.normalP50).toBe(3);
  });

  it('flags an unseen call once, at its top', () => {
    const s = model.score(traffic.checkout({ unseenCall: true }));
    const unseen = s.evidence.filter((e) => e.kind === 'unseen-path');
    expect(unseen.map((e) => e.pathKey)).toEqual(['frontend:POST /checkout>frontend:call recs']);
    expect(s.score).toBeGreaterThan(normalMax);
  });

  it('flags a missing usual call and a network gap', () => {
    const miss = model.score(traffic.checkout({ missingLeaf: true }));
    expect(miss.evidence.find((e) => e.kind === 'missing-path')?.operation).toBe('db.query');
    const gap = model.score(traffic.checkout({ cartGapUs: 100_000 }));
    const g = gap.evidence.find((e) => e.kind === 'network-gap');
    expect(g?.clientService).toBe('frontend');
    expect(g?.serverService).toBe('cart');
  });

  it('scores a rare endpoint with the pooled model without crying wolf', () => {
    const s = model.score(traffic.report());
    expect(s.model).toBe('pooled');
    expect(s.score).toBe(0);
    expect(model.endpointModel('frontend:POST /checkout')).toBeDefined();
    expect(model.endpointModel('admin:GET /report')).toBeUndefined();
  });

  it('still flags anomalies hidden in 5% of the training window', () => {
    const { traffic: t2, traces: clean } = normalTraffic(11, 300, 0);
    const dirty = clean.slice();
    for (let i = 0; i < 15; i++) {
      dirty[i * 19] = i % 2 ? t2.checkout({ slowLeaf: 10 }) : t2.checkout({ deepError: true });
    }
    const m = trainBaseline(dirty);
    const quiet = Array.from({ length: 60 }, () => m.score(t2.checkout()).score);
    const slow = Array.from({ length: 10 }, () => m.score(t2.checkout({ slowLeaf: 10 })).score);
    const err = Array.from({ length: 10 }, () => m.score(t2.checkout({ deepError: true })).score);
    const q = Math.max(...quiet);
    expect(Math.min(...slow)).toBeGreaterThan(q);
    expect(Math.min(...err)).toBeGreaterThan(q);
    // Trimming is what keeps db.query's learned error rate near zero: compare with no trimming.
    const dbPath = 'frontend:POST /checkout>frontend:call payment>payment:Charge>payment:db.query';
    const untrimmed = trainBaseline(dirty, { trimFraction: 0 });
    const trimmedErr = m.pathStats('frontend:POST /checkout', dbPath, 'payment', 'db.query')!.errorOrigins;
    const rawErr = untrimmed.pathStats(
      'frontend:POST /checkout',
      dbPath,
      'payment',
      'db.query',
    )!.errorOrigins;
    expect(rawErr).toBe(8);
    expect(trimmedErr).toBeLessThan(rawErr / 4);
  });

  it('scores and explains a 10k-level chain without overflowing the stack', () => {
    const raw: RawSpan[] = [];
    for (let i = 0; i < 10_000; i++) {
      raw.push({
        traceId: 'f'.padStart(32, '0'),
        spanId: (i + 1).toString(16).padStart(16, '0'),
        parentId: i === 0 ? undefined : i.toString(16).padStart(16, '0'),
        service: 'deep',
        operation: `op${i % 7}`,
        kind: 'internal',
        start: 1_000_000 + i,
        duration: 20_000 - i,
        error: i === 9_999,
        attributes: {},
        resource: {},
        events: 0,
      });
    }
    const t = normalizeTrace('f'.padStart(32, '0'), raw);
    const s = model.score(t);
    expect(s.model).toBe('pooled');
    expect(s.evidence.some((e) => e.kind === 'error' && e.span === t.spans.findIndex((x) => x.error))).toBe(
      true,
    );
    const errors = explainTrace(t, undefined, model).filter((c) => c.kind === 'error');
    expect(errors.map((c) => `${c.service}:${c.operation}`)).toEqual(['deep:op3']);
  });

  it('is deterministic', () => {
    const again = trainBaseline(traces);
    expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(model.toJSON()));
  });
});

describe('baseline serialization', () => {
  it('round-trips to identical scores', () => {
    const back = BaselineModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    const probes = [
      ...normals.slice(0, 30),
      traffic.checkout({ slowLeaf: 5 }),
      traffic.home({ nPlusOne: 9 }),
      traffic.report(),
    ];
    for (const t of probes) expect(back.score(t)).toEqual(model.score(t));
    expect(JSON.stringify(back.toJSON())).toBe(JSON.stringify(model.toJSON()));
  });

  it('reads a model saved before tailSpread existed as it was trained, without the tail spread', () => {
    const old = JSON.parse(JSON.stringify(model.toJSON()));
    delete old.options.tailSpread;
    const back = BaselineModel.fromJSON(old);
    expect(back.options.tailSpread).toBe(false);
    const off = BaselineModel.fromJSON({ ...old, options: { ...old.options, tailSpread: false } });
    const slow = traffic.checkout({ slowLeaf: 5 });
    for (const t of [...normals.slice(0, 30), slow]) expect(back.score(t)).toEqual(off.score(t));
    expect(back.score(slow).score).not.toBe(model.score(slow).score);
  });

  it('rejects garbage with a message that says where', () => {
    expect(() => BaselineModel.fromJSON('{nope')).toThrow(/not JSON/);
    expect(() => BaselineModel.fromJSON({ format: 'other' })).toThrow(/baseline model: invalid \(format/);
    const j = JSON.parse(JSON.stringify(model.toJSON()));
    j.endpoints[0].paths[0].self.c[0] = -3;
    expect(() => BaselineModel.fromJSON(j)).toThrow(/endpoints\.0\.paths\.0\.self\.c\.0/);
    const k = JSON.parse(JSON.stringify(model.toJSON()));
    k.endpoints[1].paths[0].traces = 1e9;
    expect(() => BaselineModel.fromJSON(k)).toThrow(/endpoints\[1\]\.paths\[0\].*population has/);
    const o = JSON.parse(JSON.stringify(model.toJSON()));
    o.options.topK = 0;
    expect(() => BaselineModel.fromJSON(o)).toThrow(/topK/);
  });

  it('checks every field as strictly as the schema it replaced, naming the field', () => {
    const fresh = () => JSON.parse(JSON.stringify(model.toJSON()));
    const cases: Array<[(j: ReturnType<typeof fresh>) => void, RegExp]> = [
      [(j) => delete j.endpoints[0].paths[1].parent, /endpoints\.0\.paths\.1\.parent: expected string/],
      [(j) => (j.pooled.paths[0].counts[0] = [1]), /pooled\.paths\.0\.counts\.0: expected a pair/],
      [
        (j) => (j.pooled.paths[0].counts[0] = [1.5, 2]),
        /pooled\.paths\.0\.counts\.0\.0: expected an integer/,
      ],
      [(j) => (j.pooled.paths[0].dur.o = -1), /pooled\.paths\.0\.dur\.o: expected a number >= 0/],
      [(j) => (j.endpoints[0].gaps = {}), /endpoints\.0\.gaps: expected array/],
      [(j) => (j.pooled.edges = [[7, 1]]), /pooled\.edges\.0\.0: expected string/],
      [(j) => (j.endpoints[0].key = ''), /endpoints\.0\.key: expected a non-empty string/],
      [(j) => (j.options.tailSpread = 'yes'), /options\.tailSpread: expected boolean/],
      [(j) => (j.options.zOffset = Infinity), /options\.zOffset: expected a finite number/],
      [(j) => (j.version = 2), /version: expected 1/],
      [(j) => (j.endpoints = null), /endpoints: expected array, received null/],
    ];
    for (const [spoil, message] of cases) {
      const j = fresh();
      spoil(j);
      expect(() => BaselineModel.fromJSON(j)).toThrow(message);
    }
    // Fields it does not know are dropped, as the schema dropped them.
    const extra = fresh();
    extra.options.someday = 1;
    extra.pooled.note = 'x';
    expect(JSON.stringify(BaselineModel.fromJSON(extra).toJSON())).toBe(JSON.stringify(model.toJSON()));
  });
});
