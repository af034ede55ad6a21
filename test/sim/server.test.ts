/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies of many shapes, checked field by field */
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../src/sim/server.js';
import { formatRfc3339Us, parseDurationUs, parseRfc3339Us } from '../../src/sim/query.js';
import { shortened } from './helpers.js';

const T0 = 1_750_000_000_000_000;
let clock = T0;
let server: SimServer;
const received: { body: { resourceSpans: unknown[] } }[] = [];
const receiver = Fastify();

async function get(path: string): Promise<{ status: number; type: string; body: any }> {
  const res = await fetch(server.url + path);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Zipkin's 404 is plain text.
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body };
}

beforeAll(async () => {
  receiver.post('/v1/traces', async (req) => {
    received.push({ body: req.body as { resourceSpans: unknown[] } });
    return {};
  });
  const rx = await receiver.listen({ port: 0, host: '127.0.0.1' });
  server = await startSimServer({
    scenario: shortened('shop-errors', 0, 1000, 1000),
    port: 0,
    seed: 5,
    backfillS: 30,
    now: () => clock,
    push: `${rx}/v1/traces`,
    tickMs: 50,
  });
});

afterAll(async () => {
  await server?.close();
  await receiver.close();
});

describe('query helpers', () => {
  it('parses Go durations and RFC 3339 with fractions', () => {
    expect(parseDurationUs('100ms')).toBe(100_000);
    expect(parseDurationUs('1.2s')).toBe(1_200_000);
    expect(parseDurationUs('1m30s')).toBe(90_000_000);
    expect(parseDurationUs('250us')).toBe(250);
    expect(parseDurationUs('12')).toBeUndefined();
    expect(parseRfc3339Us('2024-03-05T12:00:00.123456789Z')).toBe(1_709_640_000_123_456);
    expect(parseRfc3339Us('2024-03-05T13:00:00+01:00')).toBe(1_709_640_000_000_000);
    expect(parseRfc3339Us(formatRfc3339Us(1_709_640_000_123_456))).toBe(1_709_640_000_123_456);
  });
});

describe('live sim server', () => {
  it('lists services and operations in the Jaeger v1 envelope', async () => {
    const s = await get('/api/services');
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ total: s.body.data.length, limit: 0, offset: 0, errors: null });
    expect(s.body.data).toContain('frontend');
    expect(s.body.data).toEqual([...s.body.data].sort());
    const o = await get('/api/services/frontend/operations');
    expect(o.body.data).toContain('GET /');
    const k = await get('/api/operations?service=frontend&spanKind=server');
    expect(k.body.data).toContainEqual({ name: 'GET /', spanKind: 'server' });
  });

  it('searches /api/traces by service, operation, µs window, limit and minDuration', async () => {
    const r = await get(`/api/traces?service=frontend&operation=${encodeURIComponent('GET /')}&limit=5`);
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(5);
    for (const t of r.body.data) {
      expect(t.traceID).toMatch(/^[0-9a-f]{32}$/);
      expect(Object.keys(t.processes).length).toBeGreaterThan(1);
      const root = t.spans.find((s: any) => s.references.length === 0);
      expect(root.operationName).toBe('GET /');
      // µs: within the backfilled 30 simulated seconds before the clock.
      expect(root.startTime).toBeGreaterThanOrEqual(T0 - 30e6);
      expect(root.startTime).toBeLessThanOrEqual(clock);
    }
    const slow = await get('/api/traces?service=frontend&minDuration=60ms&limit=1000');
    expect(slow.body.data.length).toBeGreaterThan(0);
    for (const t of slow.body.data)
      expect(
        t.spans.some((s: any) => t.processes[s.processID].serviceName === 'frontend' && s.duration >= 60_000),
      ).toBe(true);
    const fast = await get('/api/traces?service=frontend&limit=1000');
    expect(fast.body.data.length).toBeGreaterThan(slow.body.data.length);
    const win = await get(`/api/traces?service=frontend&start=${T0 - 10e6}&end=${T0 - 5e6}&limit=1000`);
    expect(win.body.data.length).toBeGreaterThan(0);
    for (const t of win.body.data) {
      const starts = t.spans
        .filter((s: any) => t.processes[s.processID].serviceName === 'frontend')
        .map((s: any) => s.startTime);
      expect(starts.some((x: number) => x >= T0 - 10e6 && x <= T0 - 5e6)).toBe(true);
    }
    const bad = await get('/api/traces?service=frontend&minDuration=fast');
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/text\/plain/);
    expect(bad.body.errors[0].msg).toMatch(/minDuration/);
    const none = await get('/api/traces');
    expect(none.status).toBe(400);
  });

  it('gets a trace by id (v1) and says 404 for an unknown one', async () => {
    const list = await get('/api/traces?service=cartservice&limit=1');
    const id = list.body.data[0].traceID;
    const one = await get(`/api/traces/${id}`);
    expect(one.body.data).toHaveLength(1);
    expect(one.body.data[0].spans.length).toBe(list.body.data[0].spans.length);
    const missing = await get('/api/traces/00000000000000000000000000abcdef');
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].msg).toBe('trace not found');
  });

  it('answers api_v3 searches with snake_case and camelCase names alike, and 404 when nothing matches', async () => {
    const min = formatRfc3339Us(T0 - 30e6);
    const max = formatRfc3339Us(T0);
    const snake = await get(
      `/api/v3/traces?query.service_name=checkoutservice&query.start_time_min=${min}&query.start_time_max=${max}&query.num_traces=3`,
    );
    const camel = await get(
      `/api/v3/traces?query.serviceName=checkoutservice&query.startTimeMin=${min}&query.startTimeMax=${max}&query.searchDepth=3`,
    );
    expect(snake.status).toBe(200);
    expect(camel.body).toEqual(snake.body);
    const rs = snake.body.result.resourceSpans;
    expect(rs.length).toBeGreaterThan(0);
    const span = rs[0].scopeSpans[0].spans[0];
    expect(typeof span.startTimeUnixNano).toBe('string');
    expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
    expect(typeof span.kind).toBe('number');
    const traceIds = new Set(rs.flatMap((r: any) => r.scopeSpans[0].spans.map((s: any) => s.traceId)));
    expect(traceIds.size).toBeLessThanOrEqual(3);
    const slow = await get(
      `/api/v3/traces?query.service_name=frontend&query.start_time_min=${min}&query.start_time_max=${max}&query.duration_min=10s`,
    );
    expect(slow.status).toBe(404);
    expect(slow.type).toMatch(/text\/plain/);
    expect(slow.body.error).toMatchObject({ httpCode: 404, message: 'No traces found' });
    const missing = await get(`/api/v3/traces?query.service_name=frontend`);
    expect(missing.status).toBe(400);
    const id = [...traceIds][0];
    const one = await get(`/api/v3/traces/${id}`);
    expect(
      one.body.result.resourceSpans
        .flatMap((r: any) => r.scopeSpans[0].spans)
        .every((s: any) => s.traceId === id),
    ).toBe(true);
    expect((await get('/api/v3/traces/0000000000000000000000000000dead')).status).toBe(404);
    expect((await get('/api/v3/services')).body.services).toContain('cartservice');
  });

  it('answers the Zipkin v2 API with ms query times and µs span times', async () => {
    const services = await get('/api/v2/services');
    expect(services.body).toContain('frontend');
    const endTs = Math.floor(clock / 1000);
    const r = await get(`/api/v2/traces?serviceName=frontend&endTs=${endTs}&lookback=20000&limit=4`);
    expect(r.body).toHaveLength(4);
    for (const trace of r.body) {
      expect(Array.isArray(trace)).toBe(true);
      for (const s of trace) {
        expect(s.timestamp).toBeGreaterThan((endTs - 60_000) * 1000);
        expect(typeof s.tags).toBe('object');
        for (const v of Object.values(s.tags)) expect(typeof v).toBe('string');
      }
      expect(
        trace.some(
          (s: any) => s.localEndpoint.serviceName === 'frontend' && s.timestamp >= (endTs - 20_000) * 1000,
        ),
      ).toBe(true);
    }
    const id = r.body[0][0].traceId;
    const one = await get(`/api/v2/trace/${id}`);
    expect(one.body.length).toBe(r.body[0].length);
    const missing = await get('/api/v2/trace/000000000000dead');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(/not found/);
    expect((await get('/api/v2/spans?serviceName=frontend')).body).toContain('GET /');
  });

  it('makes new traces appear as the clock moves, and reports the truth', async () => {
    const before = (await get('/sim/status')).body.traces;
    clock += 10e6;
    const after = (await get('/sim/status')).body.traces;
    expect(after).toBeGreaterThan(before + 50);
    const truth = server.truth();
    expect(truth.faults).toHaveLength(1);
    expect(truth.traces.length).toBe(after);
    expect(truth.traces.some((t) => t.anomalous && t.rootCause?.service === 'cartservice')).toBe(true);
    const newest = await get(`/api/traces?service=frontend&start=${T0 + 1}&limit=1000`);
    expect(newest.body.data.length).toBeGreaterThan(0);
  });

  it('pushes the traces as OTLP JSON', async () => {
    for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.pushStats()!.lastError).toBeUndefined();
    expect(received.length).toBeGreaterThan(0);
    const rs = received[0].body.resourceSpans as any[];
    expect(rs[0].resource.attributes.some((a: any) => a.key === 'service.name')).toBe(true);
    expect(server.pushStats()!.failedBatches).toBe(0);
  });
});
