import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zipkinV1 } from '../../src/formats/zipkin-v1.js';
import { jsonFormatFor } from '../../src/formats/detect.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { collectingSink } from './helpers/collect.js';

const doc = (): unknown[] =>
  JSON.parse(readFileSync(new URL('../fixtures/zipkin/v1-batch.json', import.meta.url), 'utf8'));

describe('zipkin-v1 reader', () => {
  it('is detected ahead of v2, also as a list of traces and when the first record is bare', () => {
    expect(jsonFormatFor(doc())?.name).toBe('zipkin-v1');
    expect(jsonFormatFor([doc()])?.name).toBe('zipkin-v1');
    const bareFirst = [{ traceId: 'aa', id: '01', name: 'x' }, ...doc()];
    expect(zipkinV1.matches(bareFirst)).toBe(true);
    expect(
      zipkinV1.matches([{ traceId: 'aa', id: '01', kind: 'CLIENT', annotations: [{ value: 'cs' }] }]),
    ).toBe(false);
  });

  it('turns one record with cs/sr/ss/cr into a client and a shared server span', () => {
    const sink = collectingSink();
    zipkinV1.read(doc(), sink, '$');
    expect(sink.skips).toEqual([]);
    const [client, server] = sink.spans;
    expect(client).toMatchObject({
      kind: 'client',
      service: 'web',
      start: 1600000000000000,
      duration: 20000,
    });
    expect(client.instance).toBe('10.1.0.1');
    expect(client.attributes['peer.service']).toBe('api');
    expect(server).toMatchObject({
      kind: 'server',
      service: 'api',
      start: 1600000000001000,
      duration: 18000,
    });
    expect(server.shared).toBe(true);
    expect(server.instance).toBe('10.1.0.2:80');
    expect(server.events).toBe(1);
    expect(server.attributes['http.path']).toBe('/');
    expect(client.spanId).toBe(server.spanId);
  });

  it('reads separate client and server records with one id, typed binary annotations and the error key', () => {
    const sink = collectingSink();
    zipkinV1.read(doc(), sink, '$');
    const halves = sink.spans.filter((s) => s.spanId === '0000000000000002');
    expect(halves.map((s) => [s.kind, s.service])).toEqual([
      ['client', 'api'],
      ['server', 'db'],
    ]);
    const [client, server] = halves;
    expect(client.attributes).toMatchObject({ rows: 42, cached: false });
    expect(client.error).toBe(true);
    expect(client.statusMessage).toBe('timeout');
    // The server record has no timestamp/duration: its annotations give them.
    expect(server.start).toBe(1600000000004000);
    expect(server.duration).toBe(3000);
  });

  it('reads an lc span as internal with the service of its endpoint', () => {
    const sink = collectingSink();
    zipkinV1.read(doc(), sink, '$');
    const local = sink.spans.find((s) => s.operation === 'render')!;
    expect(local).toMatchObject({
      kind: 'internal',
      service: 'api',
      start: 1600000000009000,
      duration: 2000,
    });
    expect(local.attributes.lc).toBe('templates');
  });

  it('builds the tree: each server half under its client half', () => {
    const sink = collectingSink();
    zipkinV1.read(doc(), sink, '$');
    expect(sink.spans).toHaveLength(5);
    const t = normalizeTrace(sink.spans[0].traceId, sink.spans, { clockSkew: false });
    expect(t.spans).toHaveLength(5);
    expect(t.orphans).toEqual([]);
    const at = (kind: string, service: string) =>
      t.spans.findIndex((s) => s.kind === kind && s.service === service);
    expect(t.spans[t.root].service).toBe('web');
    expect(t.parent[at('server', 'api')]).toBe(at('client', 'web'));
    expect(t.parent[at('client', 'api')]).toBe(at('server', 'api'));
    expect(t.parent[at('server', 'db')]).toBe(at('client', 'api'));
    expect(t.parent[at('internal', 'api')]).toBe(at('server', 'api'));
  });

  it('skips records with bad ids by path and keeps the rest', () => {
    const d = doc();
    d.splice(1, 0, { traceId: 'nope', id: '01', annotations: [] });
    const sink = collectingSink();
    zipkinV1.read(d, sink, '$');
    expect(sink.skips).toEqual([expect.stringMatching(/^\$\[1\]: traceId "nope"/)]);
    expect(sink.spans).toHaveLength(5);
  });
});
