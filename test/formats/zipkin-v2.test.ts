import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zipkinV2 } from '../../src/formats/zipkin-v2.js';
import { zipkinV1 } from '../../src/formats/zipkin-v1.js';
import { jsonFormatFor } from '../../src/formats/detect.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { collectingSink } from './helpers/collect.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/zipkin/${name}`, import.meta.url), 'utf8'));

const TRACE = '00000000000000000000000000abc001';

describe('zipkin-v2 reader', () => {
  it('is detected for span lists, lists of traces and single spans, and not for v1', () => {
    const doc = fixture('shared-rpc.json') as unknown[];
    expect(jsonFormatFor(doc)?.name).toBe('zipkin-v2');
    expect(jsonFormatFor([doc])?.name).toBe('zipkin-v2');
    expect(jsonFormatFor(doc[0])?.name).toBe('zipkin-v2');
    expect(zipkinV2.matches({ data: [] })).toBe(false);
    expect(zipkinV1.matches(doc)).toBe(false);
  });

  it('normalizes 16, 32 and unpadded trace ids to the same 32-hex id', () => {
    const sink = collectingSink();
    zipkinV2.read(fixture('shared-rpc.json'), sink, '$');
    expect(sink.skips).toEqual([]);
    expect(sink.spans).toHaveLength(5);
    expect(new Set(sink.spans.map((s) => s.traceId))).toEqual(new Set([TRACE]));
  });

  it('reads kind, endpoints, tags, annotations and the error rule', () => {
    const sink = collectingSink();
    zipkinV2.read(fixture('shared-rpc.json'), sink, '$');
    const [root, client, server, local, noService] = sink.spans;
    expect(root.kind).toBe('server');
    expect(root.instance).toBe('10.0.0.1:8080');
    expect(root.parentId).toBeUndefined();
    expect(client.kind).toBe('client');
    expect(client.attributes['peer.service']).toBe('payment');
    expect(client.error).toBe(false);
    expect(server.shared).toBe(true);
    expect(server.instance).toBe('fd00::2');
    expect(server.events).toBe(2);
    // No error tag, but HTTP 503: counted as an error (see errorOf).
    expect(server.error).toBe(true);
    expect(server.statusMessage).toBe('HTTP 503');
    // Missing kind is a local span; the error tag's value is the message.
    expect(local.kind).toBe('internal');
    expect(local.error).toBe(true);
    expect(local.statusMessage).toBe('card declined');
    expect(local.start).toBeUndefined();
    expect(local.duration).toBeUndefined();
    // Empty localEndpoint: service 'unknown', with a warning.
    expect(noService.service).toBe('unknown');
    expect(sink.warnings.some((w) => w.includes('localEndpoint.serviceName'))).toBe(true);
  });

  it('splits the shared span into client and server, server as the child, and infers missing timing', () => {
    const sink = collectingSink();
    zipkinV2.read(fixture('shared-rpc.json'), sink, '$');
    const trace = normalizeTrace(TRACE, sink.spans, { clockSkew: false });
    expect(trace.spans).toHaveLength(5);
    expect(new Set(trace.spans.map((s) => s.spanId)).size).toBe(5);
    const client = trace.spans.findIndex((s) => s.kind === 'client' && s.service === 'frontend');
    const server = trace.spans.findIndex((s) => s.kind === 'server' && s.service === 'payment');
    expect(trace.spans[client].spanId).toBe('00000000000000b2');
    expect(trace.parent[server]).toBe(client);
    // The local span ran in the payment service, so it moves under the server half.
    const local = trace.spans.findIndex((s) => s.operation === 'charge card');
    expect(trace.parent[local]).toBe(server);
    // Its timing came from its child (start) and from the child's end (duration).
    expect(trace.spans[local].start).toBe(1700000000015000);
    expect(trace.spans[local].duration).toBe(4000);
    expect(trace.spans[local].adjusted).toEqual(
      expect.arrayContaining(['start-inferred', 'duration-inferred']),
    );
  });

  it('reads a list of traces and reports bad items with their JSON path', () => {
    const good = fixture('shared-rpc.json') as Record<string, unknown>[];
    const doc = [
      good.slice(0, 2),
      [good[2], { traceId: 'xyz', id: '00000000000000e5' }, 42, { traceId: TRACE, id: 'not hex' }],
      'junk',
    ];
    const sink = collectingSink();
    zipkinV2.read(doc, sink, '$');
    expect(sink.spans).toHaveLength(3);
    expect(sink.skips).toHaveLength(4);
    expect(sink.skips[0]).toMatch(/^\$\[1\]\[1\]: traceId "xyz"/);
    expect(sink.skips[1]).toMatch(/^\$\[1\]\[2\]: /);
    expect(sink.skips[2]).toMatch(/^\$\[1\]\[3\]: id "not hex"/);
    expect(sink.skips[3]).toMatch(/^\$\[2\]: /);
  });

  it('reads a single span object', () => {
    const sink = collectingSink();
    zipkinV2.read((fixture('shared-rpc.json') as unknown[])[1], sink, 'line 3');
    expect(sink.spans).toHaveLength(1);
    expect(sink.spans[0].parentId).toBe('00000000000000a1');
    expect(sink.spans[0].start).toBe(1700000000010000);
    expect(sink.spans[0].duration).toBe(30000);
  });

  it('treats an unknown kind as internal with a warning and a zero parent as none', () => {
    const sink = collectingSink();
    zipkinV2.read(
      {
        traceId: 'a',
        id: 'b',
        parentId: '0000000000000000',
        kind: 'WEIRD',
        localEndpoint: { serviceName: 's' },
      },
      sink,
      '$',
    );
    expect(sink.spans[0].kind).toBe('internal');
    expect(sink.spans[0].parentId).toBeUndefined();
    expect(sink.spans[0].spanId).toBe('000000000000000b');
    expect(sink.warnings.some((w) => w.includes('WEIRD'))).toBe(true);
  });
});
