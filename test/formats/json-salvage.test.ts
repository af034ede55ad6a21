import { describe, expect, it } from 'vitest';
import { salvageJson } from '../../src/formats/json-salvage.js';
import { jaegerV1 } from '../../src/formats/jaeger-v1.js';
import { fixture, readDoc } from './helpers/read-doc.js';

describe('salvageJson', () => {
  const full = JSON.stringify(fixture('jaeger-v1/checkout.json'));
  const secondTrace = full.indexOf('{"traceID":"4f1d2c3b');

  it('keeps the complete traces of a truncated {"data":[...]} download', () => {
    const cut = full.slice(0, secondTrace + 200);
    expect(() => JSON.parse(cut)).toThrow();
    const s = salvageJson(cut)!;
    expect(s.recovered).toBe(1);
    const r = readDoc(jaegerV1, s.doc);
    expect(r.spans).toHaveLength(5);
    expect(new Set(r.spans.map((x) => x.traceId))).toEqual(new Set(['00000000000000000000000000c0ffee']));
  });

  it('recovers nothing when the first record is cut', () => {
    expect(salvageJson(full.slice(0, 300))).toEqual({ doc: { data: [] }, recovered: 0 });
  });

  it('keeps the members before and after the record list when they parse', () => {
    const s = salvageJson('{"traceID":"ab","spans":[{"spanID":"1"},{"spanID":"2"},{"spanID":')!;
    expect(s).toEqual({ doc: { traceID: 'ab', spans: [{ spanID: '1' }, { spanID: '2' }] }, recovered: 2 });
    const broken = '{"data":[{"a":1},{"b":"x]}\\"{"}], "total": 2, "errors": nul';
    expect(salvageJson(broken)).toEqual({
      doc: { data: [{ a: 1 }, { b: 'x]}"{' }], total: 2 },
      recovered: 2,
    });
  });

  it('drops a corrupt element in the middle and keeps the ones after it', () => {
    const s = salvageJson('[{"a":1}, {"b": tru}, {"c":[3]}, 4, {"d"')!;
    expect(s).toEqual({ doc: [{ a: 1 }, { c: [3] }, 4], recovered: 3 });
  });

  it('salvages api_v3 result.resourceSpans and OTLP resourceSpans', () => {
    const v3 = salvageJson('{"result":{"resourceSpans":[{"resource":{}},{"resource":{"attr')!;
    expect(v3).toEqual({ doc: { result: { resourceSpans: [{ resource: {} }] } }, recovered: 1 });
    const otlp = salvageJson('\ufeff {"resourceSpans":[{"scopeSpans":[]},{"scope')!;
    expect(otlp).toEqual({ doc: { resourceSpans: [{ scopeSpans: [] }] }, recovered: 1 });
  });

  it('gives up on documents without a record list', () => {
    expect(salvageJson('')).toBeUndefined();
    expect(salvageJson('garbage')).toBeUndefined();
    expect(salvageJson('{"a":1,"b":{"c"')).toBeUndefined();
  });

  it('handles deep nesting and long inputs without recursion', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(199_999);
    expect(salvageJson(`{"data":[1,${deep}`)).toEqual({ doc: { data: [1] }, recovered: 1 });
    const many = `[${'{"x":1},'.repeat(100_000)}{"x":`;
    expect(salvageJson(many)!.recovered).toBe(100_000);
  });
});
