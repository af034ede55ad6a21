import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi, payloadScorer } from '../../src/api/index.js';
import { encodeOtlpProto } from '../../src/formats/otlp-proto.js';
import { toOtlpDocument } from '../../src/formats/write/otlp-json.js';
import { trainModelSet } from '../../src/scoring/train.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { ScoredTraceSchema } from '../../src/scoring/scored-trace.js';
import { normalTraffic } from '../helpers/traffic.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';

let app: FastifyInstance;
let models: ModelSet;

beforeAll(async () => {
  models = await trainModelSet(normalTraffic(1, 300).traces, { autoencoder: false });
  app = await buildApi(baseDeps({ score: payloadScorer((traces, opts) => models.score(traces, opts)) }), {
    rateLimit: false,
    scoreBodyLimit: 64 * 1024,
    scoreDecodedLimit: 256 * 1024,
  });
});
afterAll(async () => {
  await app.close();
});

const TRACE = 'abcdef0123456789abcdef0123456789';

/** A hand-written two-span Jaeger v1 document: frontend calls cart. */
function jaegerDoc(): object {
  const span = (
    spanID: string,
    op: string,
    pid: string,
    start: number,
    duration: number,
    parent?: string,
  ) => ({
    traceID: TRACE,
    spanID,
    operationName: op,
    references: parent ? [{ refType: 'CHILD_OF', traceID: TRACE, spanID: parent }] : [],
    startTime: start,
    duration,
    tags: [{ key: 'span.kind', type: 'string', value: 'server' }],
    logs: [],
    processID: pid,
  });
  return {
    data: [
      {
        traceID: TRACE,
        spans: [
          span('0000000000000001', 'GET /cart', 'p1', 1_700_000_000_000_000, 5000),
          span('0000000000000002', 'GetCart', 'p2', 1_700_000_000_001_000, 3000, '0000000000000001'),
        ],
        processes: { p1: { serviceName: 'frontend', tags: [] }, p2: { serviceName: 'cart', tags: [] } },
      },
    ],
  };
}

const score = (
  payload: Buffer | string,
  headers: Record<string, string> = {},
  key = ADMIN_KEY,
  url = '/v1/score',
) => app.inject({ method: 'POST', url, payload, headers: { ...auth(key), ...headers } });

describe('POST /v1/score', () => {
  it('scores a gzip-encoded Jaeger JSON body', async () => {
    const res = await score(gzipSync(JSON.stringify(jaegerDoc())), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.skipped).toBe(0);
    expect(body.items).toHaveLength(1);
    const item = ScoredTraceSchema.parse(body.items[0]);
    expect(item).toMatchObject({ traceId: TRACE, service: 'frontend', operation: 'GET /cart', spanCount: 2 });
  });

  it('scores a gzip-encoded OTLP protobuf body the same as the model scores the traces', async () => {
    const { traces } = normalTraffic(9, 6, 0);
    const proto = encodeOtlpProto(toOtlpDocument(traces.flatMap((t) => t.spans)));
    const res = await score(gzipSync(proto), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { traceId: string; score: number }[];
    const direct = models.score(traces);
    expect(items.map((i) => i.traceId).sort()).toEqual(traces.map((t) => t.traceId).sort());
    for (const d of direct) expect(items.find((i) => i.traceId === d.traceId)?.score).toBeCloseTo(d.score, 9);
  });

  it('gives every trace its ranked causes with explain=all, anomalies only by default', async () => {
    const { traces } = normalTraffic(11, 40, 0);
    const proto = Buffer.from(encodeOtlpProto(toOtlpDocument(traces.flatMap((t) => t.spans))));
    const post = (url: string) =>
      score(proto, { 'content-type': 'application/x-protobuf' }, ADMIN_KEY, url).then((r) => {
        expect(r.statusCode).toBe(200);
        return r.json().items as { traceId: string; anomalous: boolean; rootCauses: unknown[] }[];
      });
    const plain = await post('/v1/score');
    const all = await post('/v1/score?explain=all');
    expect(plain.filter((i) => !i.anomalous).every((i) => i.rootCauses.length === 0)).toBe(true);
    const quiet = all.filter((i) => !i.anomalous);
    expect(quiet.length).toBeGreaterThan(20);
    expect(quiet.filter((i) => i.rootCauses.length > 0).length / quiet.length).toBeGreaterThan(0.9);
    for (const i of all) expect(ScoredTraceSchema.parse(i).traceId).toBe(i.traceId);
    const bad = await score(
      proto,
      { 'content-type': 'application/x-protobuf' },
      ADMIN_KEY,
      '/v1/score?explain=most',
    );
    expect(bad.statusCode).toBe(400);
  });

  it('counts bad records and scores the rest', async () => {
    const good = JSON.stringify(jaegerDoc());
    const ndjson = `${good}\n{"not json\n${good.replace(/abcdef0123456789abcdef0123456789/g, 'ab'.repeat(16))}\n`;
    const res = await score(ndjson, { 'content-type': 'application/x-ndjson' });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toHaveLength(2);
    expect(res.json().skipped).toBe(1);
    expect(res.json().warnings.join('\n')).toMatch(/line 2/);
  });

  it('refuses empty, unreadable, oversized and oddly encoded bodies with clear errors', async () => {
    const empty = await score('', { 'content-type': 'application/json' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toMatch(/empty/);

    const junk = await score('{"hello": 1}', { 'content-type': 'application/json' });
    expect(junk.statusCode).toBe(400);
    expect(junk.json().error.code).toBe('invalid_payload');

    const big = await score(Buffer.alloc(65 * 1024, 0x20), { 'content-type': 'application/json' });
    expect(big.statusCode).toBe(413);

    const bomb = await score(gzipSync(Buffer.alloc(300 * 1024, 0x20)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(bomb.statusCode).toBe(413);
    expect(bomb.json().error.message).toMatch(/decoded body exceeds/);

    const enc = await score('x', { 'content-encoding': 'zstd' });
    expect(enc.statusCode).toBe(415);

    const notGzip = await score('plain', { 'content-encoding': 'gzip' });
    expect(notGzip.statusCode).toBe(400);
    expect(notGzip.json().error.message).toMatch(/Content-Encoding gzip/);

    const fmt = await score('x', {}, ADMIN_KEY, '/v1/score?format=yaml');
    expect(fmt.statusCode).toBe(400);
    expect(fmt.json().error.message).toMatch(/query parameter format/);
  });

  it('skips spans whose times a date cannot hold instead of failing with 500', async () => {
    const doc = jaegerDoc() as { data: Array<{ spans: Array<{ startTime: number; spanID: string }> }> };
    const bad = structuredClone(doc);
    bad.data[0].spans[1].startTime = 1e23; // µs: the 1e26 ns of a broken exporter
    bad.data[0].spans[1].spanID = '0000000000000003';
    const both = {
      data: [...doc.data, { ...bad.data[0], traceID: 'ab'.repeat(16), spans: [bad.data[0].spans[1]] }],
    };
    const res = await score(JSON.stringify(both), { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().skipped).toBe(1);
    expect(res.json().items).toHaveLength(1);
  });

  it('needs an admin key', async () => {
    expect(
      (await score(JSON.stringify(jaegerDoc()), { 'content-type': 'application/json' }, READ_KEY)).statusCode,
    ).toBe(403);
  });
});
