import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { decodeOtlpResponse, encodeOtlpProto } from '../../src/formats/otlp-proto.js';
import { MetricsRegistry } from '../../src/observability/metrics.js';
import { ADMIN_KEY, auth, baseDeps } from '../helpers/api-stubs.js';
import { NOW_MS, otlpDoc, otlpSpan, recordingIngest, zipkinSpan } from './ingest-payloads.js';

let app: FastifyInstance;
let received: string[];
let overloaded = false;
const registry = new MetricsRegistry();

beforeAll(async () => {
  const rec = recordingIngest();
  received = rec.spans;
  app = await buildApi(baseDeps({ ingest: rec.ingest, pushOverloaded: async () => overloaded }), {
    rateLimit: false,
    registry,
  });
});
afterAll(async () => {
  await app.close();
});
beforeEach(() => {
  received.length = 0;
  overloaded = false;
});

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };
const post = (url: string, payload: Buffer | string, headers: Record<string, string>) =>
  app.inject({ method: 'POST', url, payload, headers: { ...auth(ADMIN_KEY), ...headers } });
const proto = (doc: object) => Buffer.from(encodeOtlpProto(doc));

/** google.rpc.Status as a client would read it, declared apart from the service's own schema. */
const Status = protobuf.Root.fromJSON({
  nested: { Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } } },
}).lookupType('Status');

describe('OTLP/HTTP protobuf', () => {
  it('answers a protobuf export with an empty protobuf ExportTraceServiceResponse', async () => {
    const res = await post('/v1/traces', proto(otlpDoc([otlpSpan('00f067aa0ba902b7')])), PROTO);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    expect(res.rawPayload.length).toBe(0);
    expect(received).toEqual(['00f067aa0ba902b7']);
  });

  it('takes an empty request (zero bytes) as a valid export', async () => {
    const res = await post('/v1/traces', Buffer.alloc(0), PROTO);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
  });

  it('rejects the untrustworthy spans, keeps the good ones and says so in partial_success', async () => {
    const doc = otlpDoc([
      otlpSpan('0000000000000001'),
      // Beyond what a JS Date holds (fixed64 cannot carry the 1e26 of the issue; the JSON test does).
      otlpSpan('0000000000000002', 1000, 20, {
        startTimeUnixNano: '18000000000000000000',
        endTimeUnixNano: '18000000000000000001',
      }),
      otlpSpan('0000000000000003', 1000, 20, {
        startTimeUnixNano: '253402300799000000000', // year 9999
        endTimeUnixNano: '253402300799000000001',
      }),
      otlpSpan('0000000000000004', 1000, 100 * 365 * 86_400_000),
    ]);
    const res = await post('/v1/traces', proto(doc), PROTO);
    expect(res.statusCode).toBe(200);
    const { partialSuccess } = decodeOtlpResponse(res.rawPayload);
    expect(partialSuccess?.rejectedSpans).toBe(3);
    expect(partialSuccess?.errorMessage).toMatch(/2 time_out_of_window, 1 duration_too_long/);
    expect(received).toEqual(['0000000000000001']);
    const metrics = await registry.render();
    expect(metrics).toMatch(
      /tracehound_ingest_rejected_spans_total\{reason="duration_too_long",route="otlp"\} [1-9]/,
    );
  });

  it('rejects a trace whose spans carry no time at all (it would be read as 1970)', async () => {
    const doc = otlpDoc([
      otlpSpan('0000000000000001', 0, 0, { startTimeUnixNano: '0', endTimeUnixNano: '0' }),
    ]);
    const res = await post('/v1/traces', proto(doc), PROTO);
    expect(res.statusCode).toBe(200);
    expect(decodeOtlpResponse(res.rawPayload).partialSuccess?.rejectedSpans).toBe(1);
    expect(received).toEqual([]);
  });

  it('answers garbage with 400 and a google.rpc.Status saying what is wrong', async () => {
    for (const body of [Buffer.from('hello, not protobuf'), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1])]) {
      const res = await post('/v1/traces', body, PROTO);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toBe('application/x-protobuf');
      const status = Status.toObject(Status.decode(res.rawPayload)) as { code: number; message: string };
      expect(status.code).toBe(3);
      expect(status.message).toMatch(/not an OTLP ExportTraceServiceRequest/);
    }
  });

  it('answers a body that claims gzip but is not with 400', async () => {
    const res = await post('/v1/traces', Buffer.from('nope'), { ...PROTO, 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(400);
  });

  it('refuses a push with 503 and Retry-After while the buffer is full', async () => {
    overloaded = true;
    const res = await post('/v1/traces', proto(otlpDoc([otlpSpan('0000000000000001')])), PROTO);
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(received).toEqual([]);
  });
});

describe('OTLP/HTTP JSON', () => {
  it('answers JSON with JSON, and a partial success names the reason', async () => {
    const doc = otlpDoc([
      otlpSpan('0000000000000001'),
      otlpSpan('0000000000000002', 40 * 86_400_000),
      otlpSpan('0000000000000003', 1000, 20, { startTimeUnixNano: 'abc' }),
      otlpSpan('0000000000000004', 1000, 20, {
        startTimeUnixNano: '100000000000000000000000000',
        endTimeUnixNano: '100000000000000000000000001',
      }),
    ]);
    const res = await post('/v1/traces', JSON.stringify(doc), JSON_TYPE);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().partialSuccess.rejectedSpans).toBe(3);
    expect(res.json().partialSuccess.errorMessage).toMatch(/2 time_out_of_window, 1 time_unreadable/);
    expect(received).toEqual(['0000000000000001']);
  });

  it('takes {} as an empty export', async () => {
    const res = await post('/v1/traces', '{}', JSON_TYPE);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
  });

  it('answers a body that is not JSON, or not an export, with 400 and a message', async () => {
    for (const body of ['hello', '[1,2]', '"x"', gzipSync('{"a":')]) {
      const res = await post('/v1/traces', body, JSON_TYPE);
      expect(res.statusCode, String(body)).toBe(400);
      expect(res.json().error.message).toMatch(/request body/);
    }
  });

  it('refuses with 503 and Retry-After while the buffer is full', async () => {
    overloaded = true;
    const res = await post('/v1/traces', JSON.stringify(otlpDoc([otlpSpan('0000000000000001')])), JSON_TYPE);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('Zipkin POST /api/v2/spans', () => {
  it('accepts an empty batch', async () => {
    expect((await post('/api/v2/spans', '[]', JSON_TYPE)).statusCode).toBe(202);
  });

  it('keeps the good spans of a batch and reports the rejected ones', async () => {
    const body = [
      zipkinSpan('0000000000000001'),
      zipkinSpan('0000000000000002', { timestamp: 'abc' }),
      zipkinSpan('0000000000000003', { timestamp: 1e20 }),
      zipkinSpan('0000000000000004', { duration: 2 * 86_400_000_000 }),
    ];
    const res = await post('/api/v2/spans', JSON.stringify(body), JSON_TYPE);
    expect(res.statusCode).toBe(202);
    expect(res.json().rejectedSpans).toBe(3);
    expect(received).toEqual(['0000000000000001']);
  });

  it('answers what is not a span list with 400, and a full buffer with 503', async () => {
    expect((await post('/api/v2/spans', '{"a":1}', JSON_TYPE)).statusCode).toBe(400);
    expect((await post('/api/v2/spans', Buffer.from([0, 1, 2, 3]), JSON_TYPE)).statusCode).toBe(400);
    overloaded = true;
    const res = await post('/api/v2/spans', JSON.stringify([zipkinSpan('0000000000000001')]), JSON_TYPE);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });
});

it('the payload helpers put spans around now', () => {
  expect(
    Math.abs(Number(BigInt(otlpSpan('1').startTimeUnixNano as string) / 1_000_000n) - NOW_MS),
  ).toBeLessThan(2000);
});
