import { describe, expect, it } from 'vitest';
import type { Span } from '../../src/trace/span.js';
import {
  formatFromPath,
  toJaegerDocument,
  toOtlpDocument,
  toZipkinSpans,
  traceChunk,
  truthPathFor,
} from '../../src/formats/write/index.js';

const base = (over: Partial<Span>): Span => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  service: 'api',
  operation: 'GET /x',
  kind: 'server',
  start: 1_700_000_000_123_456,
  duration: 1500,
  error: false,
  attributes: { 'http.status_code': 200, ratio: 0.5, ok: true, path: '/x', list: ['a', 'b'] },
  resource: { 'service.name': 'api', 'k8s.pod.name': 'api-1', 'net.host.ip': '10.0.0.7' },
  events: 0,
  instance: 'api-1',
  ...over,
});

const spans: Span[] = [
  base({}),
  base({
    spanId: '00f067aa0ba902b7',
    parentId: 'b7ad6b7169203331',
    service: 'db',
    operation: 'SELECT',
    kind: 'client',
    start: 1_700_000_000_123_500,
    duration: 800,
    error: true,
    statusMessage: 'boom',
    events: 1,
    attributes: { 'peer.service': 'pg' },
    resource: { 'service.name': 'db', 'k8s.pod.name': 'db-0' },
    instance: 'db-0',
  }),
  base({
    spanId: '1111111111111111',
    parentId: 'b7ad6b7169203331',
    kind: 'internal',
    operation: 'render',
    duration: 10,
  }),
];

describe('jaeger v1 writer', () => {
  it('writes the envelope, processes, references and typed tags', () => {
    const doc = toJaegerDocument([spans]);
    expect(doc).toMatchObject({ total: 1, limit: 0, offset: 0, errors: null });
    const t = doc.data[0];
    expect(t.traceID).toBe(spans[0].traceId);
    expect(
      Object.values(t.processes)
        .map((p) => p.serviceName)
        .sort(),
    ).toEqual(['api', 'db']);
    // Spans of one instance share one process.
    expect(t.spans[0].processID).toBe(t.spans[2].processID);
    const [root, child] = t.spans;
    expect(root.references).toEqual([]);
    expect(child.references).toEqual([
      { refType: 'CHILD_OF', traceID: spans[0].traceId, spanID: 'b7ad6b7169203331' },
    ]);
    expect(root.startTime).toBe(1_700_000_000_123_456);
    expect(root.duration).toBe(1500);
    const tag = (s: typeof root, k: string) => s.tags.find((x) => x.key === k);
    expect(tag(root, 'http.status_code')).toEqual({ key: 'http.status_code', type: 'int64', value: 200 });
    expect(tag(root, 'ratio')).toEqual({ key: 'ratio', type: 'float64', value: 0.5 });
    expect(tag(root, 'ok')).toEqual({ key: 'ok', type: 'bool', value: true });
    expect(tag(root, 'span.kind')?.value).toBe('server');
    expect(tag(child, 'error')).toEqual({ key: 'error', type: 'bool', value: true });
    expect(tag(child, 'otel.status_description')?.value).toBe('boom');
    expect(child.logs).toHaveLength(1);
    expect(t.processes[root.processID].tags.find((x) => x.key === 'k8s.pod.name')?.value).toBe('api-1');
  });
});

describe('zipkin v2 writer', () => {
  it('writes kinds, endpoints, string tags and the error tag', () => {
    const [root, child, local] = toZipkinSpans(spans);
    expect(root).toMatchObject({
      id: 'b7ad6b7169203331',
      kind: 'SERVER',
      timestamp: 1_700_000_000_123_456,
      duration: 1500,
    });
    expect(root.parentId).toBeUndefined();
    expect(root.localEndpoint).toEqual({ serviceName: 'api', ipv4: '10.0.0.7' });
    expect(root.tags['http.status_code']).toBe('200');
    expect(root.tags['list']).toBe('["a","b"]');
    expect(child).toMatchObject({
      kind: 'CLIENT',
      parentId: 'b7ad6b7169203331',
      remoteEndpoint: { serviceName: 'pg' },
    });
    expect(child.tags['error']).toBe('boom');
    expect(local.kind).toBeUndefined();
  });
});

describe('otlp json writer', () => {
  it('groups per service instance, with string nanos, integer enums and int64 as strings', () => {
    const doc = toOtlpDocument(spans);
    expect(doc.resourceSpans).toHaveLength(2);
    const api = doc.resourceSpans[0];
    expect(api.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'api' } });
    const s = api.scopeSpans[0].spans[0];
    expect(s).toMatchObject({
      kind: 2,
      startTimeUnixNano: '1700000000123456000',
      endTimeUnixNano: '1700000000124956000',
      status: {},
    });
    expect(s.attributes).toContainEqual({ key: 'http.status_code', value: { intValue: '200' } });
    expect(s.attributes).toContainEqual({ key: 'ratio', value: { doubleValue: 0.5 } });
    expect(s.attributes).toContainEqual({
      key: 'list',
      value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } },
    });
    const db = doc.resourceSpans[1].scopeSpans[0].spans[0];
    expect(db).toMatchObject({
      kind: 3,
      parentSpanId: 'b7ad6b7169203331',
      status: { code: 2, message: 'boom' },
    });
    expect(db.events).toHaveLength(1);
    expect(api.scopeSpans[0].spans[1].kind).toBe(1);
  });
});

describe('file conventions', () => {
  it('picks the format from the name and puts the truth beside it', () => {
    expect(formatFromPath('a/shop.jaeger.json')).toBe('jaeger-v1');
    expect(formatFromPath('a/shop.ZIPKIN.json')).toBe('zipkin-v2');
    expect(formatFromPath('shop.otlp.json')).toBe('otlp-json');
    expect(formatFromPath('shop.json')).toBe('jaeger-v1');
    expect(formatFromPath('shop.csv')).toBeUndefined();
    expect(truthPathFor('out/shop-latency.otlp.json')).toBe('out/shop-latency.truth.json');
    expect(truthPathFor('out/x.json')).toBe('out/x.truth.json');
  });

  it('trace chunks join into valid documents', () => {
    const other = spans.map((s) => ({ ...s, traceId: 'ffffffffffffffffffffffffffffffff' }));
    const z = JSON.parse(`[${traceChunk('zipkin-v2', spans)},${traceChunk('zipkin-v2', other)}]`);
    expect(z).toHaveLength(6);
    const o = JSON.parse(
      `{"resourceSpans":[${traceChunk('otlp-json', spans)},${traceChunk('otlp-json', other)}]}`,
    );
    expect(o.resourceSpans).toHaveLength(4);
    expect(traceChunk('jaeger-v1', [])).toBe('');
  });
});
