import { describe, expect, it } from 'vitest';
import { readTracePayload } from '../../src/formats/read.js';
import { httpStatusOf, peerServiceOf } from '../../src/trace/semconv.js';
import { errorOf } from '../../src/formats/zipkin-common.js';

describe('semantic conventions, current and older names', () => {
  it('reads service.peer.name beside peer.service, the current one first', () => {
    expect(peerServiceOf({ 'peer.service': 'db' })).toBe('db');
    expect(peerServiceOf({ 'service.peer.name': 'cart', 'peer.service': 'db' })).toBe('cart');
    expect(httpStatusOf({ 'http.response.status_code': 503 })).toBe(503);
    expect(httpStatusOf({})).toBeNaN();
  });

  it('takes http.response.status_code >= 500 as a failure like http.status_code', () => {
    expect(errorOf({ 'http.response.status_code': '503' }).error).toBe(true);
    expect(errorOf({ 'http.response.status_code': 404 }).error).toBe(false);
  });

  it('reads error.type and exception events as failures unless the status says OK', () => {
    const span = (id: string, over: object) => ({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: id,
      name: 'x',
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000000001000000',
      ...over,
    });
    const doc = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] },
          scopeSpans: [
            {
              spans: [
                span('0000000000000001', {}),
                span('0000000000000002', {
                  parentSpanId: '0000000000000001',
                  attributes: [{ key: 'error.type', value: { stringValue: 'timeout' } }],
                }),
                span('0000000000000003', {
                  parentSpanId: '0000000000000001',
                  events: [
                    {
                      name: 'exception',
                      attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }],
                    },
                  ],
                }),
                span('0000000000000004', {
                  parentSpanId: '0000000000000001',
                  status: { code: 1 },
                  attributes: [{ key: 'error.type', value: { stringValue: 'timeout' } }],
                }),
              ],
            },
          ],
        },
      ],
    };
    const [t] = readTracePayload(Buffer.from(JSON.stringify(doc))).traces;
    const byId = new Map(t.spans.map((s) => [s.spanId, s]));
    expect(byId.get('0000000000000001')!.error).toBe(false);
    expect(byId.get('0000000000000002')!).toMatchObject({ error: true, statusMessage: 'timeout' });
    expect(byId.get('0000000000000003')!).toMatchObject({ error: true, statusMessage: 'boom' });
    expect(byId.get('0000000000000004')!.error).toBe(false);
  });
});
