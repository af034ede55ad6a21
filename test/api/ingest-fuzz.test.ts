import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi, payloadScorer } from '../../src/api/index.js';
import { encodeOtlpProto } from '../../src/formats/otlp-proto.js';
import { toOtlpDocument } from '../../src/formats/write/otlp-json.js';
import { errorOnly } from '../../src/scoring/error-only.js';
import { trainModelSet } from '../../src/scoring/train.js';
import { normalTraffic } from '../helpers/traffic.js';
import { ADMIN_KEY, auth, baseDeps } from '../helpers/api-stubs.js';
import { otlpDoc, otlpSpan, recordingIngest, zipkinSpan } from './ingest-payloads.js';

/**
 * Structure-aware fuzzing of the push and score routes: valid payloads with one node of their JSON tree
 * replaced by a hostile value (huge, negative, fractional or non-numeric numbers, wrong types, deep junk),
 * sent as JSON and re-encoded as protobuf (or, when the mutation cannot be encoded, the valid protobuf with
 * bytes flipped, cut or inserted). No reply may be a 5xx, and a mutation inside one span never costs the
 * request's other spans. FUZZ_RUNS sets the payloads per route (200 by default; the figure used
 * 10 000).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SPANS = 3;
const TIMEOUT_MS = Math.max(60_000, RUNS * 40);

let app: FastifyInstance;
let received: string[];
let scoreDoc: object;

beforeAll(async () => {
  const traffic = normalTraffic(1, 200).traces;
  const models = await trainModelSet(traffic, { autoencoder: false });
  const rec = recordingIngest();
  received = rec.spans;
  app = await buildApi(
    baseDeps({
      ingest: rec.ingest,
      // As the service does: the model where there is one, the error-only report beside it.
      score: payloadScorer((traces) => [
        ...models.score(traces, { explainAll: true }),
        ...traces.map(errorOnly),
      ]),
    }),
    { rateLimit: false },
  );
  scoreDoc = toOtlpDocument(traffic[0].spans);
}, 60_000);
afterAll(async () => {
  await app.close();
});

const hostile = fc.oneof(
  fc.constantFrom(
    1e26,
    -1,
    0,
    0.5,
    Number.MAX_SAFE_INTEGER,
    '1e26',
    'abc',
    '',
    '-5',
    '100000000000000000000000000',
    '253402300799000000000',
    null,
    true,
    [],
    {},
    'ffffffffffffffffffffffffffffffff',
    '00000000000000000000000000000000',
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

type Path = (string | number)[];

/** Every path of a JSON tree (the root excluded). */
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  const entries: [string | number, unknown][] = Array.isArray(v)
    ? v.map((x, i) => [i, x])
    : v && typeof v === 'object'
      ? Object.entries(v)
      : [];
  for (const [k, x] of entries) {
    out.push([...at, k]);
    paths(x, [...at, k], out);
  }
  return out;
}

function mutate(doc: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

/** The index of the span a path lies inside, if any (`spans[k]` for OTLP, `[k]` for a Zipkin list). */
function spanOf(path: Path, zipkin: boolean): number | undefined {
  if (zipkin) return path.length > 1 ? (path[0] as number) : undefined;
  const i = path.indexOf('spans');
  return i >= 0 && path.length > i + 2 ? (path[i + 1] as number) : undefined;
}

/** A mutation: which valid document, which node, what value, and for protobuf how to damage bytes. */
const mutation = (doc: object) => {
  const all = paths(doc);
  return fc.record({
    path: fc.constantFrom(...all),
    value: hostile,
    bytes: fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'cut', 'insert'), byte: fc.nat(255) }),
  });
};

function damage(buf: Uint8Array, m: { at: number; kind: string; byte: number }): Buffer {
  const b = Buffer.from(buf);
  const at = m.at % Math.max(1, b.length);
  if (m.kind === 'flip') b[at] ^= m.byte || 1;
  if (m.kind === 'cut') return b.subarray(0, at);
  if (m.kind === 'insert') return Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
  return b;
}

const post = (url: string, payload: Buffer | string, type: string) =>
  app.inject({ method: 'POST', url, payload, headers: { ...auth(ADMIN_KEY), 'content-type': type } });

const stats = { requests: 0, over499: 0, statuses: new Map<number, number>() };
function count(status: number): void {
  stats.requests++;
  if (status >= 500) stats.over499++;
  stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
}

const spanIds = Array.from({ length: SPANS }, (_, i) => `00000000000000a${i}`);
const OTLP = otlpDoc(spanIds.map((id, i) => otlpSpan(id, 1000 + i, 20)));
const ZIPKIN = spanIds.map((id) => zipkinSpan(id));

/** The spans a mutation inside span k must not cost: the others (when their own ids are untouched). */
function expectOthersKept(path: Path, zipkin: boolean, status: number): void {
  const k = spanOf(path, zipkin);
  if (k === undefined || status >= 300) return;
  const others = spanIds.filter((_, i) => i !== k);
  // A mutated id may now collide with another span's, which the dedupe adjuster renames: count, not ids.
  expect(received.filter((id) => others.includes(id)).length + 1).toBeGreaterThanOrEqual(others.length);
}

describe(`fuzzing the push and score routes (${RUNS} payloads each)`, () => {
  it(
    'OTLP/HTTP JSON',
    async () => {
      await fc.assert(
        fc.asyncProperty(mutation(OTLP), async ({ path, value }) => {
          received.length = 0;
          const res = await post('/v1/traces', JSON.stringify(mutate(OTLP, path, value)), 'application/json');
          count(res.statusCode);
          expect(res.statusCode).toBeLessThan(500);
          expectOthersKept(path, false, res.statusCode);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'OTLP/HTTP protobuf',
    async () => {
      await fc.assert(
        fc.asyncProperty(mutation(OTLP), async ({ path, value, bytes }) => {
          received.length = 0;
          let body: Buffer;
          let structural = true;
          try {
            body = Buffer.from(encodeOtlpProto(mutate(OTLP, path, value)));
          } catch {
            structural = false;
            body = damage(encodeOtlpProto(OTLP), bytes);
          }
          const res = await post('/v1/traces', body, 'application/x-protobuf');
          count(res.statusCode);
          expect(res.statusCode).toBeLessThan(500);
          if (structural) expectOthersKept(path, false, res.statusCode);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'Zipkin /api/v2/spans',
    async () => {
      await fc.assert(
        fc.asyncProperty(mutation(ZIPKIN), async ({ path, value }) => {
          received.length = 0;
          const res = await post(
            '/api/v2/spans',
            JSON.stringify(mutate(ZIPKIN, path, value)),
            'application/json',
          );
          count(res.statusCode);
          expect(res.statusCode).toBeLessThan(500);
          expectOthersKept(path, true, res.statusCode);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    '/v1/score, JSON and protobuf',
    async () => {
      await fc.assert(
        fc.asyncProperty(mutation(scoreDoc), fc.boolean(), async ({ path, value, bytes }, asProto) => {
          const doc = mutate(scoreDoc, path, value);
          let body: Buffer | string = JSON.stringify(doc);
          if (asProto) {
            try {
              body = Buffer.from(encodeOtlpProto(doc));
            } catch {
              body = damage(encodeOtlpProto(scoreDoc), bytes);
            }
          }
          const res = await post('/v1/score', body, asProto ? 'application/x-protobuf' : 'application/json');
          count(res.statusCode);
          expect(res.statusCode).toBeLessThan(500);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it('the service still answers /healthz afterwards', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(stats.over499).toBe(0);
    console.log(
      `fuzz: ${stats.requests} requests, ${stats.over499} >= 500, statuses ${JSON.stringify([...stats.statuses])}`,
    );
  });
});
