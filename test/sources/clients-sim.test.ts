import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../src/sim/index.js';
import { createSource, type SourceKind, type TraceSource } from '../../src/sources/index.js';
import type { Trace } from '../../src/trace/trace.js';

const T0 = 1_750_000_000_000_000;
const BACKFILL_S = 60;
let sim: SimServer;

beforeAll(async () => {
  // A frozen clock: the store holds exactly the backfill, so every query below has one right answer.
  sim = await startSimServer({
    scenario: 'shop-normal',
    port: 0,
    seed: 7,
    backfillS: BACKFILL_S,
    now: () => T0,
  });
});

afterAll(async () => {
  await sim?.close();
});

/** The simulator's own answer: traces with a span of `service` starting in [from, to]. */
function truthIds(service: string, from: number, to: number): Set<string> {
  const ids = new Set<string>();
  for (const t of sim.live.newestFirst())
    if (t.spans.some((s) => s.service === service && s.start >= from && s.start <= to)) ids.add(t.traceId);
  return ids;
}

/** Each span of the trace read back equals the simulator's span in the fields every format carries. */
function expectMatchesTruth(t: Trace) {
  const live = sim.live.byId.get(t.traceId);
  expect(live, `trace ${t.traceId} is in the simulator`).toBeDefined();
  const want = new Map(live!.spans.map((s) => [s.spanId, s]));
  expect(t.spans.length).toBe(want.size);
  for (const s of t.spans) {
    const w = want.get(s.spanId);
    expect(w, `span ${s.spanId}`).toBeDefined();
    expect(s.parentId).toBe(w!.parentId);
    expect(s.service).toBe(w!.service);
    expect(s.operation).toBe(w!.operation);
    expect(s.kind).toBe(w!.kind);
    expect(s.error).toBe(w!.error);
    // Clock-skew adjustment may move a child span; the duration is never changed.
    expect(s.duration).toBe(w!.duration);
  }
}

const kinds: SourceKind[] = ['jaeger-v1', 'jaeger-v3', 'zipkin'];

describe.each(kinds)('%s client against the simulator', (kind) => {
  let src: TraceSource;
  beforeAll(() => {
    src = createSource(kind, { baseUrl: sim.url, name: `sim-${kind}` });
  });
  afterAll(async () => {
    await src.close();
  });

  it('lists the services the simulator has', async () => {
    const got = await src.services();
    const want = new Set<string>();
    for (const t of sim.live.newestFirst()) for (const s of t.spans) want.add(s.service);
    expect(new Set(got)).toEqual(want);
    expect(got).toContain('frontend');
  });

  it('searches a window: the right traces, with the simulator spans', async () => {
    // Zipkin speaks whole ms: a ms-aligned window has the same answer in every API.
    const from = T0 - 20_000_000;
    const to = T0 - 10_000_000;
    const want = truthIds('frontend', from, to);
    expect(want.size).toBeGreaterThan(5);
    const r = await src.search({ service: 'frontend', startUs: from, endUs: to, limit: 10_000 });
    expect(r.raw).toBe(want.size);
    expect(r.skipped).toBe(0);
    expect(new Set(r.traces.map((t) => t.traceId))).toEqual(want);
    for (const t of r.traces) expectMatchesTruth(t);
  });

  it('honours the limit and reports the raw count', async () => {
    const r = await src.search({ service: 'frontend', startUs: T0 - 60e6, endUs: T0, limit: 7 });
    expect(r.raw).toBe(7);
    expect(r.traces).toHaveLength(7);
  });

  it('finds nothing in an empty window without failing', async () => {
    const r = await src.search({ service: 'frontend', startUs: T0 - 7200e6, endUs: T0 - 3600e6, limit: 10 });
    expect(r).toMatchObject({ raw: 0, traces: [] });
    const none = await src.search({ service: 'no-such-service', startUs: T0 - 60e6, endUs: T0, limit: 10 });
    expect(none.raw).toBe(0);
  });

  it('gets a trace by id, and undefined for an unknown id', async () => {
    const first = sim.live.newestFirst().next().value!;
    const t = await src.trace(first.traceId);
    expect(t?.traceId).toBe(first.traceId);
    expectMatchesTruth(t!);
    expect(await src.trace('0000000000000000000000000000dead')).toBeUndefined();
  });

  it('links to the UI', () => {
    const id = 'ab'.repeat(16);
    const withUi = createSource(kind, { baseUrl: sim.url, uiUrl: 'https://ui.example/' });
    expect(withUi.link(id)).toBe(
      kind === 'zipkin' ? `https://ui.example/zipkin/traces/${id}` : `https://ui.example/trace/${id}`,
    );
    void withUi.close();
  });
});

describe('throughput', () => {
  it('pulls a full minute of traces from each API', async () => {
    const lines: string[] = [];
    for (const kind of kinds) {
      const src = createSource(kind, { baseUrl: sim.url });
      const t0 = performance.now();
      const r = await src.search({ service: 'frontend', startUs: T0 - 60e6, endUs: T0, limit: 100_000 });
      const ms = performance.now() - t0;
      await src.close();
      expect(r.traces.length).toBe(truthIds('frontend', T0 - 60e6, T0).size);
      const spans = r.traces.reduce((n, t) => n + t.spans.length, 0);
      lines.push(`${kind}: ${r.traces.length} traces, ${spans} spans in ${ms.toFixed(0)} ms`);
    }
    console.log(lines.join('\n'));
  });
});
