import { describe, expect, it } from 'vitest';
import { nanosToMicros, otlpJson } from '../../src/formats/otlp-json.js';
import { jaegerV3 } from '../../src/formats/jaeger-v3.js';
import { fixture, readDoc } from './helpers/read-doc.js';

const TRACE = '5b8efff798038103d269b633813fc60c';

describe('otlp-json reader', () => {
  const r = readDoc(otlpJson, fixture('otlp/shop.json'));

  it('reads every span, lowercasing uppercase hex and decoding base64 ids', () => {
    expect(r.skips).toEqual([]);
    expect(r.spans.map((s) => s.spanId)).toEqual([
      'eee19b7ec3c1b174',
      'eee19b7ec3c1b175',
      'eee19b7ec3c1b176',
      'eee19b7ec3c1b177',
    ]);
    expect(new Set(r.spans.map((s) => s.traceId))).toEqual(new Set([TRACE]));
  });

  it('converts string nanos exactly and number nanos to the nearest µs', () => {
    // "…250000999" ns is cut, not rounded, to 250000 µs after the start.
    expect(r.byId.get('eee19b7ec3c1b174')).toMatchObject({ start: 1544712660000000, duration: 250000 });
    expect(r.byId.get('eee19b7ec3c1b175')).toMatchObject({ start: 1544712660010000, duration: 10000 });
    expect(nanosToMicros('0')).toBeUndefined();
    expect(nanosToMicros('')).toBeUndefined();
    expect(nanosToMicros('12x45678901234567890')).toBeUndefined();
    expect(nanosToMicros('999')).toBe(0);
    expect(nanosToMicros('1700000000123456789')).toBe(1700000000123456);
    expect(nanosToMicros(1700000000123456)).toBe(1700000000123);
  });

  it('maps kinds given as numbers and as enum names', () => {
    expect(r.spans.map((s) => s.kind)).toEqual(['server', 'client', 'internal', 'internal']);
  });

  it('reads status: code 2 or STATUS_CODE_ERROR is an error, {} and OK are not', () => {
    expect(r.spans.map((s) => s.error)).toEqual([false, true, true, false]);
    expect(r.byId.get('eee19b7ec3c1b175')!.statusMessage).toBe('connection reset');
    expect(r.byId.get('eee19b7ec3c1b174')!.statusMessage).toBeUndefined();
  });

  it('keeps AnyValue types and flattens kvlists into dotted keys', () => {
    expect(r.byId.get('eee19b7ec3c1b174')!.attributes).toEqual({
      'http.status_code': 200,
      'request.bytes': 512,
      huge: '9007199254740993',
      sampled: true,
      load: 0.75,
      digest: '3q2+7w==',
      tags: ['a', 2],
      'http.request.header.accept': 'json',
      'http.request.header.x.y': false,
      'otel.scope.name': 'io.opentelemetry.http',
      'otel.scope.version': '1.2.0',
    });
  });

  it('takes service and instance from the resource; a missing service.name is unknown_service, with a warning', () => {
    expect(r.byId.get('eee19b7ec3c1b174')).toMatchObject({
      service: 'cart',
      instance: 'cart-5d8c',
      events: 1,
    });
    expect(r.byId.get('eee19b7ec3c1b174')!.resource['service.version']).toBe('2.4.1');
    expect(r.byId.get('eee19b7ec3c1b176')).toMatchObject({ service: 'unknown_service', resource: {} });
    expect(r.byId.get('eee19b7ec3c1b176')!.instance).toBeUndefined();
    expect(r.warnings.filter((w) => w.includes('no service.name'))).toHaveLength(1);
  });

  it('reads legacy instrumentationLibrarySpans with its library name', () => {
    expect(r.byId.get('eee19b7ec3c1b176')!.attributes['otel.scope.name']).toBe('legacy-lib');
  });

  it('treats "" and all-zero parent ids as roots and keeps links', () => {
    expect(r.byId.get('eee19b7ec3c1b174')!.parentId).toBeUndefined();
    expect(r.byId.get('eee19b7ec3c1b176')!.parentId).toBeUndefined();
    expect(r.byId.get('eee19b7ec3c1b175')).toMatchObject({
      parentId: 'eee19b7ec3c1b174',
      links: ['0000000000000def'],
    });
    const t = r.traces.get(TRACE)!;
    expect(t.roots.map((i) => t.spans[i].spanId)).toEqual(['eee19b7ec3c1b174', 'eee19b7ec3c1b176']);
  });

  it('skips malformed spans, scopes and resources by JSON path and keeps the rest', () => {
    const d = readDoc(otlpJson, fixture('otlp/damaged.json'));
    expect(d.spans.map((s) => s.operation)).toEqual(['fine', 'untimed']);
    expect(d.skips.map((s) => s.split(':')[0])).toEqual([
      '$.resourceSpans[0].scopeSpans[0].spans[1]',
      '$.resourceSpans[0].scopeSpans[0].spans[2]',
      '$.resourceSpans[0].scopeSpans[0].spans[3]',
      '$.resourceSpans[0].scopeSpans[0].spans[4]',
      '$.resourceSpans[0].scopeSpans[0].spans[5]',
      '$.resourceSpans[0].scopeSpans[1].spans',
      '$.resourceSpans[1]',
    ]);
    expect(d.skips[2]).toMatch(/ends before it starts/);
    // The untimed span gets its start from its parent through the adjusters.
    const t = d.traces.get('0000000000000000000000000000000f')!;
    const untimed = t.spans.find((s) => s.operation === 'untimed')!;
    expect(untimed.start).toBe(1700000000000000);
    expect(untimed.adjusted).toContain('start-inferred');
  });

  it('matches OTLP documents only', () => {
    expect(otlpJson.matches(fixture('otlp/shop.json'))).toBe(true);
    expect(otlpJson.matches({ resourceSpans: {} })).toBe(false);
    expect(otlpJson.matches(fixture('jaeger-v3/get-trace.json'))).toBe(false);
    expect(otlpJson.matches([])).toBe(false);
  });
});

describe('jaeger-v3 reader', () => {
  it('reads the api_v3 {"result"} wrapper through the OTLP reader', () => {
    const doc = fixture('jaeger-v3/get-trace.json');
    expect(jaegerV3.matches(doc)).toBe(true);
    const r = readDoc(jaegerV3, doc);
    expect(r.spans).toHaveLength(2);
    expect(r.spans[0]).toMatchObject({
      traceId: '00000000000000000000000000000042',
      service: 'gateway',
      kind: 'server',
      error: true,
      statusMessage: 'upstream 503',
      duration: 500,
    });
    expect(r.spans[1]).toMatchObject({ parentId: '0000000000000001', kind: 'client', duration: 300 });
  });

  it('reports paths under result and does not match the error body', () => {
    const r = readDoc(jaegerV3, { result: { resourceSpans: [7] } });
    expect(r.skips).toEqual(['$.result.resourceSpans[0]: resourceSpans element is not an object']);
    expect(jaegerV3.matches(fixture('jaeger-v3/error.json'))).toBe(false);
    expect(jaegerV3.matches({ result: { services: ['a'] } })).toBe(false);
  });
});
