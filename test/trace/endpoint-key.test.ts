import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  endpointKey,
  endpointKeyOf,
  parseEndpointKey,
  serviceOfEndpointKey,
} from '../../src/trace/endpoint-key.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { raw } from '../helpers/spans.js';

const roundTrip = (service: string, operation: string) => parseEndpointKey(endpointKey(service, operation));

describe('endpointKey', () => {
  it('is `service:operation`, as stored before, and parses back', () => {
    expect(endpointKey('cartservice', 'GetCart')).toBe('cartservice:GetCart');
    expect(parseEndpointKey('cartservice:GetCart')).toEqual({ service: 'cartservice', operation: 'GetCart' });
  });

  it('keeps colons in the operation: it is everything after the first one', () => {
    for (const op of ['GET /a:b', 'db:query', 'redis:GET:keys', '::', 'trailing:'])
      expect(roundTrip('api', op)).toEqual({ service: 'api', operation: op });
    expect(endpointKey('api', 'GET /a:b')).toBe('api:GET /a:b');
    expect(parseEndpointKey('api:db:query')).toEqual({ service: 'api', operation: 'db:query' });
  });

  it('takes empty names', () => {
    expect(endpointKey('api', '')).toBe('api:');
    expect(parseEndpointKey('api:')).toEqual({ service: 'api', operation: '' });
    expect(roundTrip('', 'op')).toEqual({ service: '', operation: 'op' });
    expect(roundTrip('', '')).toEqual({ service: '', operation: '' });
  });

  it('takes unicode as it is', () => {
    expect(endpointKey('заказы', '注文:作成 🚀')).toBe('заказы:注文:作成 🚀');
    expect(roundTrip('заказы', '注文:作成 🚀')).toEqual({ service: 'заказы', operation: '注文:作成 🚀' });
  });

  it("escapes a ':' in the service, so the service comes back whole", () => {
    expect(endpointKey('gateway:8080', 'GET /a:b')).toBe('gateway%3A8080:GET /a:b');
    expect(roundTrip('gateway:8080', 'GET /a:b')).toEqual({ service: 'gateway:8080', operation: 'GET /a:b' });
    // Two endpoints that one bare ':' would have merged stay apart.
    expect(endpointKey('a:b', 'c')).not.toBe(endpointKey('a', 'b:c'));
  });

  it("leaves a '%' alone unless it would read as an escape", () => {
    expect(endpointKey('50%-canary', 'op')).toBe('50%-canary:op');
    expect(roundTrip('50%-canary', 'op')).toEqual({ service: '50%-canary', operation: 'op' });
    for (const service of ['%3A', '%25', '%%3A', '%:', '%3:', '%253A', 'a%3Ab:c'])
      expect(roundTrip(service, 'op')).toEqual({ service, operation: 'op' });
    expect(endpointKey('%3A', 'op')).toBe('%253A:op');
  });

  it('round-trips any names (property)', () => {
    const name = fc.string({ unit: fc.constantFrom(':', '%', '2', '5', '3', 'A', 'a', 'é', '🚀') });
    fc.assert(
      fc.property(name, fc.string(), (service, operation) => {
        expect(roundTrip(service, operation)).toEqual({ service, operation });
      }),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), (service, operation) => {
        expect(roundTrip(service, operation)).toEqual({ service, operation });
      }),
    );
  });

  it('tells a string without a colon from a key', () => {
    expect(parseEndpointKey('shared-model')).toBeUndefined();
    expect(serviceOfEndpointKey('frontend')).toBe('frontend');
    expect(serviceOfEndpointKey('gateway%3A8080:GET /')).toBe('gateway:8080');
  });

  it("is a trace's root service and operation", () => {
    const t = normalizeTrace('t', [
      raw({ spanId: '1', service: 'shop', operation: 'GET /cart:add' }),
      raw({ spanId: '2', parentId: '1', service: 'db', operation: 'q' }),
    ]);
    expect(endpointKeyOf(t)).toBe('shop:GET /cart:add');
    expect(endpointKeyOf(normalizeTrace('t', []))).toBe('unknown:unknown');
  });
});
