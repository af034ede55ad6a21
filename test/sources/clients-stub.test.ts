/* A tiny HTTP stub shows what the clients send (parameter names, units, headers) and how they take errors. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRfc3339Us } from '../../src/sim/index.js';
import {
  JaegerV1Source,
  JaegerV3Source,
  SourceError,
  ZipkinSource,
  rfc3339Nanos,
} from '../../src/sources/index.js';

interface Seen {
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

let handler: Handler = (_q, res) => res.end('{}');
const seen: Seen[] = [];
let server: Server;
let base: string;

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  server = createHttp((req, res) => {
    const url = new URL(req.url!, 'http://stub');
    seen.push({ path: url.pathname, query: url.searchParams, headers: req.headers });
    handler(req, res, url);
  });
  base = `http://127.0.0.1:${await listen(server)}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  seen.length = 0;
});

function reply(status: number, body: string, type = 'application/json'): Handler {
  return (_q, res) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const otlpTrace = (id = TRACE_ID) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: id,
              spanId: 'b7ad6b7169203331',
              name: 'GET /x',
              kind: 2,
              startTimeUnixNano: '1750000000000000000',
              endTimeUnixNano: '1750000000005000000',
            },
          ],
        },
      ],
    },
  ],
});

describe('jaeger api_v3', () => {
  it('sends snake_case query names, RFC 3339 times with nanoseconds and the limit', async () => {
    handler = reply(200, JSON.stringify({ result: otlpTrace() }));
    const src = new JaegerV3Source({ baseUrl: base });
    const startUs = 1_750_000_000_123_456;
    const r = await src.search({ service: 'api', startUs, endUs: startUs + 60e6, limit: 25 });
    await src.close();
    expect(r.raw).toBe(1);
    expect(r.traces[0].spans[0]).toMatchObject({ service: 'api', operation: 'GET /x', duration: 5000 });
    const q = seen[0].query;
    expect(seen[0].path).toBe('/api/v3/traces');
    expect(q.get('query.service_name')).toBe('api');
    expect(q.get('query.start_time_min')).toBe('2025-06-15T15:06:40.123456000Z');
    expect(parseRfc3339Us(q.get('query.start_time_max')!)).toBe(startUs + 60e6);
    expect(q.get('query.num_traces')).toBe('25');
    expect([...q.keys()].some((k) => /[A-Z]/.test(k))).toBe(false);
  });

  it('formats any µs as RFC 3339 with nine fraction digits', () => {
    for (const us of [0, 1, 999_999, 1_750_000_000_000_000, 1_709_640_000_123_456]) {
      const s = rfc3339Nanos(us);
      expect(s).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(parseRfc3339Us(s)).toBe(us);
    }
  });

  it('takes 404 "No traces found" (text/plain) as an empty answer', async () => {
    const body = {
      error: { grpcCode: 5, httpCode: 404, message: 'No traces found', httpStatus: 'Not Found' },
    };
    handler = reply(404, JSON.stringify(body), 'text/plain; charset=utf-8');
    const src = new JaegerV3Source({ baseUrl: base });
    expect(await src.search({ service: 'api', startUs: 0, endUs: 1e6, limit: 5 })).toMatchObject({
      raw: 0,
      traces: [],
    });
    await src.close();
  });

  it('takes a bare 404 (no api_v3 on this server) as an error with a hint', async () => {
    handler = reply(404, '404 page not found', 'text/plain');
    const src = new JaegerV3Source({ baseUrl: base });
    const err = await src.search({ service: 'api', startUs: 0, endUs: 1e6, limit: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect(err.status).toBe(404);
    expect(err.message).toMatch(/api_v3/);
    await expect(src.trace(TRACE_ID)).rejects.toThrow(/HTTP 404/);
    await src.close();
  });

  it('reads a streamed answer, one {"result"} per line, and counts its traces', async () => {
    const lines = [
      JSON.stringify({ result: otlpTrace() }),
      JSON.stringify({ result: otlpTrace('1'.repeat(32)) }),
    ];
    handler = reply(200, lines.join('\n') + '\n');
    const src = new JaegerV3Source({ baseUrl: base });
    const r = await src.search({ service: 'api', startUs: 0, endUs: 1e6, limit: 5 });
    await src.close();
    expect(r.raw).toBe(2);
    expect(r.traces.map((t) => t.traceId).sort()).toEqual([TRACE_ID, '1'.repeat(32)].sort());
  });

  it('passes a 500 error message on with status and URL', async () => {
    const body = { error: { httpCode: 500, message: 'storage unavailable' } };
    handler = reply(500, JSON.stringify(body), 'text/plain');
    const src = new JaegerV3Source({ baseUrl: base });
    const err: SourceError = await src.services().catch((e) => e);
    await src.close();
    expect(err).toBeInstanceOf(SourceError);
    expect(err.status).toBe(500);
    expect(err.retryable).toBe(true);
    expect(err.url).toBe(`${base}/api/v3/services`);
    expect(err.message).toContain('storage unavailable');
    expect(err.message).toContain(`${base}/api/v3/services`);
  });
});

describe('jaeger v1', () => {
  it('sends µs times and joins envelope errors (text/plain) into the message', async () => {
    const env = { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400, msg: 'bad tag' }] };
    handler = reply(400, JSON.stringify(env), 'text/plain; charset=utf-8');
    const src = new JaegerV1Source({ baseUrl: `${base}/jaeger` });
    const err: SourceError = await src
      .search({ service: 'a b', startUs: 1_750_000_000_000_001, endUs: 1_750_000_060_000_000, limit: 3 })
      .catch((e) => e);
    await src.close();
    expect(seen[0].path).toBe('/jaeger/api/traces');
    expect(seen[0].query.get('service')).toBe('a b');
    expect(seen[0].query.get('start')).toBe('1750000000000001');
    expect(seen[0].query.get('end')).toBe('1750000060000000');
    expect(seen[0].query.get('limit')).toBe('3');
    expect(err.status).toBe(400);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/HTTP 400: bad tag/);
  });

  it('reads a gzipped answer', async () => {
    const trace = {
      traceID: TRACE_ID,
      spans: [
        {
          traceID: TRACE_ID,
          spanID: 'b7ad6b7169203331',
          operationName: 'op',
          references: [],
          startTime: 1_750_000_000_000_000,
          duration: 7,
          tags: [],
          logs: [],
          processID: 'p1',
        },
      ],
      processes: { p1: { serviceName: 'svc', tags: [] } },
    };
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ data: [trace], errors: null })));
    };
    const src = new JaegerV1Source({ baseUrl: base });
    const t = await src.trace(TRACE_ID);
    await src.close();
    expect(seen[0].headers['accept-encoding']).toContain('gzip');
    expect(t?.spans[0]).toMatchObject({ service: 'svc', operation: 'op', duration: 7 });
  });

  it('drops traces handed on already and still reads a trace among them that has no spans', async () => {
    const traceOf = (id: string, spans: number) => ({
      traceID: id,
      spans: Array.from({ length: spans }, (_, i) => ({
        traceID: id,
        spanID: `00000000000000${String(i + 1).padStart(2, '0')}`,
        operationName: 'op',
        references: [],
        startTime: 1_750_000_000_000_000 + i,
        duration: 7,
        tags: [],
        logs: [],
        processID: 'p1',
      })),
      processes: { p1: { serviceName: 'svc', tags: [] } },
      warnings: null,
    });
    const ids = ['a1', 'b2', 'c3', 'd4'].map((x) => x.repeat(16));
    // As Jaeger lays it out (the byte split applies); the third trace has no spans, so no split hit.
    const body = JSON.stringify({
      data: [traceOf(ids[0], 2), traceOf(ids[1], 1), traceOf(ids[2], 0), traceOf(ids[3], 3)],
      total: 0,
      limit: 0,
      offset: 0,
      errors: null,
    });
    handler = reply(200, body);
    const src = new JaegerV1Source({ baseUrl: base });
    const r = await src.search({
      service: 'svc',
      startUs: 1_750_000_000_000_000,
      endUs: 1_750_000_060_000_000,
      limit: 10,
      unseen: async (got) => got.filter((id) => id !== ids[0]),
    });
    await src.close();
    // The one handed on already is dropped; the spanless one is skipped and counted, the others read.
    expect(r.traces.map((t) => t.traceId).sort()).toEqual([ids[1], ids[3]]);
    expect(r.traces.find((t) => t.traceId === ids[3])?.spans).toHaveLength(3);
    expect(r.raw).toBe(4);
  });

  it('says which URL gave a body that is not JSON', async () => {
    handler = reply(200, '<html>login</html>', 'text/html');
    const src = new JaegerV1Source({ baseUrl: base });
    await expect(src.services()).rejects.toThrow(`${base}/api/services`);
    await src.close();
  });
});

describe('zipkin', () => {
  it('sends endTs and lookback in ms covering the µs window', async () => {
    handler = reply(200, '[]');
    const src = new ZipkinSource({ baseUrl: base });
    const r = await src.search({
      service: 'web',
      startUs: 1_750_000_000_000_500,
      endUs: 1_750_000_010_000_200,
      limit: 9,
    });
    await src.close();
    expect(r.raw).toBe(0);
    const q = seen[0].query;
    expect(seen[0].path).toBe('/api/v2/traces');
    expect(q.get('serviceName')).toBe('web');
    expect(Number(q.get('endTs'))).toBe(1_750_000_010_001);
    expect(Number(q.get('endTs')) - Number(q.get('lookback'))).toBe(1_750_000_000_000);
    expect(q.get('limit')).toBe('9');
  });

  it('takes a 404 for a trace as not found, a 503 as a retryable error', async () => {
    handler = reply(404, `${TRACE_ID} not found`, 'text/plain');
    const src = new ZipkinSource({ baseUrl: base });
    expect(await src.trace(TRACE_ID)).toBeUndefined();
    handler = reply(503, 'overloaded', 'text/plain');
    const err: SourceError = await src.services().catch((e) => e);
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(`GET ${base}/api/v2/services: HTTP 503: overloaded`);
    await src.close();
  });
});

describe('auth, timeouts and unreachable backends', () => {
  it('sends configured headers, and turns URL credentials into basic auth kept out of errors', async () => {
    handler = (req, res) => {
      const ok = req.headers.authorization === 'Bearer s3cret';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(ok ? '["a"]' : 'unauthorized');
    };
    const good = new ZipkinSource({
      baseUrl: base,
      headers: { Authorization: 'Bearer s3cret', 'X-Org': '7' },
    });
    expect(await good.services()).toEqual(['a']);
    expect(seen[0].headers['x-org']).toBe('7');
    await good.close();
    const bad = new ZipkinSource({ baseUrl: base });
    await expect(bad.services()).rejects.toMatchObject({ status: 401 });
    await bad.close();

    handler = (req, res) => {
      const want = `Basic ${Buffer.from('ann:p@ss').toString('base64')}`;
      res.writeHead(req.headers.authorization === want ? 503 : 401);
      res.end();
    };
    const basic = new JaegerV1Source({ baseUrl: base.replace('//', '//ann:p%40ss@') });
    const err: SourceError = await basic.services().catch((e) => e);
    await basic.close();
    expect(err.status).toBe(503);
    expect(err.message).not.toContain('p%40ss');
    expect(err.message).not.toContain('ann');
    expect(err.url).toBe(`${base}/api/services`);
  });

  it('gives up after the timeout, naming the URL', async () => {
    handler = () => undefined; // never answers
    const src = new JaegerV1Source({ baseUrl: base, timeoutMs: 150 });
    const t0 = Date.now();
    const err: SourceError = await src.services().catch((e) => e);
    await src.close();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err).toBeInstanceOf(SourceError);
    expect(err.status).toBeUndefined();
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(new RegExp(`${base}/api/services.*150 ms`));
  });

  it('reports a refused connection with the URL and no status', async () => {
    const closed = createHttp();
    const port = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    const src = new JaegerV3Source({ baseUrl: `http://127.0.0.1:${port}` });
    const err: SourceError = await src.services().catch((e) => e);
    await src.close();
    expect(err).toBeInstanceOf(SourceError);
    expect(err.status).toBeUndefined();
    expect(err.message).toContain(`127.0.0.1:${port}/api/v3/services`);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });
});

let haveOpenssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  haveOpenssl = false;
}

describe.skipIf(!haveOpenssl)('TLS', () => {
  let dir: string;
  let tls: Server;
  let url: string;
  let cert: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'th-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    tls = createHttps({ cert, key: readFileSync(join(dir, 'key.pem')) }, (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('["secure"]');
    });
    url = `https://127.0.0.1:${await listen(tls)}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => tls.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unknown certificate, trusts a given CA, or skips checks when told', async () => {
    const plain = new ZipkinSource({ baseUrl: url });
    const err: SourceError = await plain.services().catch((e) => e);
    await plain.close();
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/self[- ]signed|certificate/i);
    const withCa = new ZipkinSource({ baseUrl: url, tls: { ca: cert } });
    expect(await withCa.services()).toEqual(['secure']);
    await withCa.close();
    const insecure = new ZipkinSource({ baseUrl: url, tls: { rejectUnauthorized: false } });
    expect(await insecure.services()).toEqual(['secure']);
    await insecure.close();
  });
});
