import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { IncidentActions } from '../../src/jobs/incident-actions.js';
import type { IncidentWebhookEvent } from '../../src/webhooks/events.js';
import { SilenceStore } from '../../src/store/silences.js';
import { SessionStore } from '../../src/store/sessions.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import type { Verdict } from '../../src/traffic/minute-buckets.js';
import { generate } from '../../src/sim/generate.js';
import { getScenario } from '../../src/sim/scenarios.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { incident } from '../helpers/incident-fixtures.js';
import type { Anomaly, CompactSpan } from '../../src/store/anomaly-record.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { buildUi, consoleErrors, launchChromium, screenshot } from '../helpers/browser.js';
import { useRedis } from '../helpers/redis.js';
import { anomaly, tid, T0 } from '../helpers/anomaly-fixtures.js';
import { ADMIN_KEY, READ_KEY, baseDeps } from '../helpers/api-stubs.js';
import { TraceReservoir } from '../../src/store/reservoir.js';
import { trainBaseline } from '../../src/detectors/baseline/index.js';
import { checkout } from '../helpers/checkout.js';

/** A checkout trace: frontend -> checkout -> payment (slow, the cause) and -> inventory (failed). */
function spans(n: number): CompactSpan[] {
  const t = (T0 + n * 1000) * 1000;
  const span = (
    id: string,
    parent: string | undefined,
    service: string,
    operation: string,
    start: number,
    dur: number,
    error = false,
  ) => ({
    spanId: id.padStart(16, '0'),
    parentId: parent?.padStart(16, '0'),
    service,
    operation,
    start: t + start,
    duration: dur,
    error,
  });
  return [
    span('1', undefined, 'frontend', 'GET /checkout', 0, 120_000),
    span('2', '1', 'checkout', 'PlaceOrder', 2_000, 115_000),
    // The model's normal range for the call (12-20 ms) and the critical path travel with the spans.
    {
      ...span('3', '2', 'payment', 'Charge', 5_000, 100_000),
      normal: { p50: 12_000, p99: 20_000 },
      critical: true,
    },
    span('4', '2', 'inventory', 'Reserve', 106_000, 8_000, true),
  ];
}

const stored = (n: number, score: number): Anomaly =>
  anomaly(n, {
    score,
    spans: spans(n),
    rootCauses: [
      {
        service: 'payment',
        operation: 'Charge',
        kind: 'latency',
        contribution: 0.7,
        evidence: `payment: Charge took 100 ms where it normally takes 12 ms (trace ${n}).`,
      },
      {
        service: 'inventory',
        operation: 'Reserve',
        kind: 'error',
        contribution: 0.3,
        evidence: 'Reserve failed.',
      },
    ],
  });

/** frontend -> checkout -> cart -> redis, payment (10-14.5 ms), inventory: the shop's normal checkouts. */
const normalCheckouts = Array.from({ length: 60 }, (_, i) =>
  checkout(1000 + i, { chargeUs: 10_000 + (i % 10) * 500 }),
);

let redis: RedisClient;
let store: AnomalyStore;
let incidents: IncidentStore;
let aggregates: AggregateStore;
let sessions: SessionStore;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let ui: Awaited<ReturnType<typeof buildUi>>;
const paged: IncidentWebhookEvent[] = [];

useRedis((c) => (redis = c));
beforeAll(async () => {
  [ui, browser] = await Promise.all([buildUi(), launchChromium()]);
  store = new AnomalyStore(redis);
  incidents = new IncidentStore(redis);
  aggregates = new AggregateStore(redis, { retentionS: 3600 });
  sessions = new SessionStore(redis, { now: () => T0 + 3_600_000 });
  const incidentActions = new IncidentActions({
    store: incidents,
    notify: async (e) => {
      paged.push(e);
      return [];
    },
  });
  // A model trained on normal checkouts: what the fault's traces are compared with (the test fills the
  // reservoir, as every test starts on an empty Redis).
  const baseline = trainBaseline(normalCheckouts);
  const reservoir = new TraceReservoir(redis);
  const normals = { traces: (ep: string) => reservoir.spread(ep, 400), baseline: async () => baseline };
  app = await buildApi(
    baseDeps({
      redis,
      anomalies: store,
      incidents,
      incidentActions,
      aggregates,
      silences: new SilenceStore(redis),
      sessions,
      normals,
    }),
    { rateLimit: false, uiDir: ui.dir },
  );
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  ui?.remove();
});

describe('web UI', () => {
  it('lists anomalies ranked, polls for new ones, and marks the root-cause span of one', async () => {
    const scores = [0.62, 0.91, 0.55, 0.78, 0.7];
    for (const [i, s] of scores.entries()) await store.put(stored(i, s));
    const byScore = [1, 3, 4, 0, 2].map(tid);

    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await page.goto(base + '/');
    // Auth is on: the UI asks for a key before anything else.
    await page.getByPlaceholder('API key').fill(READ_KEY);
    await page.getByRole('button', { name: 'Use key' }).click();

    const rows = page.getByTestId('anomaly-row');
    await expect.poll(() => rows.count()).toBe(5);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(byScore);
    await expect.poll(() => rows.first().innerText()).toContain('payment: Charge took 100 ms');

    // Scores below saturation say enough on their own: no rarity beside them.
    expect(await rows.locator('.rarity').count()).toBe(0);

    // A new top anomaly shows up without a reload. Its score has saturated, so how rare it is shows beside it.
    await store.put({ ...stored(9, 0.99), surprise: 41.3 });
    await expect.poll(() => rows.first().getAttribute('data-id'), { timeout: 15_000 }).toBe(tid(9));
    expect(await rows.first().locator('.rarity').innerText()).toMatch(/^1 in 10\s*41$/);
    expect(await rows.first().locator('.rarity sup').innerText()).toBe('41');

    await rows.first().click();
    const marked = page.locator('[data-testid=span][data-root-cause=true]');
    await expect.poll(() => marked.count()).toBe(2);
    expect(await marked.first().getAttribute('data-service')).toBe('payment');
    expect(await marked.first().innerText()).toContain('cause #1 · 70%');
    expect(await marked.first().locator('.dur.slow').innerText()).toBe('100 ms (normal 12.0 ms–20.0 ms)');
    expect(await marked.first().locator('.bar.critical').count()).toBe(1);
    expect(await page.getByTestId('root-causes').innerText()).toContain(
      'Charge took 100 ms where it normally',
    );
    const failed = page.locator('[data-testid=span].error');
    expect(await failed.count()).toBe(1);
    expect(await failed.getAttribute('data-service')).toBe('inventory');
    // A read key cannot record feedback, so the buttons are not offered.
    expect(await page.getByRole('button', { name: 'False alarm' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("compares the fault's trace with a typical normal one: slower and missing calls, on one time axis", async () => {
    await store.put(stored(2, 0.9));
    await new TraceReservoir(redis).addTraces(normalCheckouts);
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${base}/#/anomalies/${tid(2)}`);
    await page.getByPlaceholder('API key').fill(READ_KEY);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByRole('button', { name: 'Compare with normal' }).click();
    const rows = page.getByTestId('diff-row');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    expect(await page.getByTestId('compare').innerText()).toContain('the most typical of 60 normal traces');
    // The toggle lives in the address, so a comparison can be shared.
    expect(page.url()).toContain('compare=1');
    const kinds = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    // Failures first, then slower by the time added (Charge's 88 ms first), then the missing call.
    expect(kinds[0]).toBe('error');
    const slower = page.locator('[data-testid=diff-row][data-kind=slower]');
    expect(await slower.first().innerText()).toMatch(/payment\s+Charge\s+100 ms\s+12\.\d ms\s+\+8\d\.\d ms/);
    // Charge's 100 ms is far beyond one call's normal p99: flagged.
    expect(await slower.first().locator('.slow').count()).toBe(1);
    const missing = page.locator('[data-testid=diff-row][data-kind=missing]');
    expect(await missing.innerText()).toMatch(
      /cart\s+GetCart and 1 call\(s\) below it\s+made by every normal trace\s+not called\s+6\.0 ms in all/,
    );
    // Both waterfalls, the normal trace's with the call this one did not make marked.
    expect(await page.getByTestId('waterfall').count()).toBe(1);
    const normal = page.getByTestId('waterfall-normal');
    expect(await normal.locator('[data-diff=missing]').getAttribute('data-service')).toBe('cart');
    expect(
      await page.getByTestId('waterfall').locator('[data-diff=slower][data-service=payment]').count(),
    ).toBe(1);
    // One time axis: the normal trace's 24 ms root bar is a fifth of the width the 120 ms anomaly's is.
    const width = async (w: string) =>
      (await page.getByTestId(w).locator('[data-testid=span]').first().locator('.bar').boundingBox())!.width;
    expect((await width('waterfall-normal')) / (await width('waterfall'))).toBeCloseTo(25 / 120, 1);
    await screenshot(page, 'compare');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets an admin key record feedback and silence a service', async () => {
    await store.put(stored(1, 0.8));
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${base}/#/anomalies/${tid(1)}`);
    await page.getByPlaceholder('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByPlaceholder('note (optional)').fill('payment provider outage');
    await page.getByRole('button', { name: 'False alarm' }).click();
    await expect
      .poll(() =>
        page
          .getByTestId('verdict')
          .innerText()
          .catch(() => ''),
      )
      .toContain('false-positive');
    expect((await store.get(tid(1)))?.feedback?.note).toBe('payment provider outage');

    await page.getByRole('link', { name: 'Incidents' }).click();
    await page.getByPlaceholder('service, or service:operation').fill('payment');
    await page.getByPlaceholder('why (optional)').fill('provider outage, being handled');
    await page.getByRole('button', { name: 'Silence', exact: true }).click();
    await expect.poll(() => page.getByTestId('silence').count()).toBe(1);
    expect(await page.getByTestId('silence').innerText()).toContain('provider outage, being handled');
    const [active] = await new SilenceStore(redis).active();
    expect(active).toMatchObject({ service: 'payment', note: 'provider outage, being handled' });
    expect(Date.parse(active.until) - Date.parse(active.createdAt)).toBe(60 * 60_000);
    await page.getByRole('button', { name: 'End now' }).click();
    await expect.poll(() => page.getByTestId('silence').count()).toBe(0);
    expect(await new SilenceStore(redis).active()).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows an incident with its ranked causes, and its traces lead to the anomaly', async () => {
    await store.put(stored(4, 0.8));
    await incidents.upsert(
      incident(1, {
        status: 'open',
        resolvedAt: undefined,
        traceIds: [tid(4)],
        traceCount: 12,
        rootCauses: [
          {
            service: 'payment',
            operation: 'Charge',
            score: 0.8,
            evidence: 'payment: Charge slow in 11 of 12 traces',
          },
          { service: 'inventory', score: 0.2, evidence: 'inventory errors rose' },
        ],
      }),
    );
    await incidents.upsert(incident(0));
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${base}/#/incidents`);
    await page.getByPlaceholder('API key').fill(READ_KEY);
    await page.getByRole('button', { name: 'Use key' }).click();
    const lists = page.getByTestId('incident-list');
    await expect.poll(() => lists.count()).toBe(2);
    // Open first: the open incident heads the first table, the resolved one is in the second.
    expect(await lists.first().innerText()).toContain('payment: Charge slow in 11 of 12 traces');
    expect(await lists.nth(1).innerText()).toContain('GetCart failed');
    // A read key sees the silences but cannot set one.
    expect(await page.getByTestId('silences').innerText()).toContain('None: every page goes out.');
    expect(await page.getByRole('button', { name: 'Silence', exact: true }).count()).toBe(0);
    await lists.first().getByTestId('incident-row').click();
    const causes = page.getByTestId('incident-causes');
    await expect.poll(() => causes.innerText().catch(() => '')).toContain('#1');
    const heads = await causes.locator('.cause-head').allTextContents();
    expect(heads.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
      '#1payment: Charge80%',
      '#2inventory20%',
    ]);
    expect(await page.getByTestId('timeline').innerText()).toContain(
      'frontend:GET /cart: 30% of calls failed',
    );
    // A read key cannot acknowledge or resolve.
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    await page.getByTestId('incident-traces').getByRole('link').first().click();
    await expect.poll(() => page.getByTestId('waterfall').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('finds a session by its id and lists its traces in time order; an anomalous one leads to the anomaly', async () => {
    await store.put(stored(6, 0.9));
    const line = (n: number, anomalous: boolean) => ({
      traceId: tid(n),
      startTime: new Date(T0 + n * 1000).toISOString(),
      service: 'frontend',
      operation: n === 6 ? 'GET /checkout' : 'GET /cart',
      durationMs: 20 + n,
      score: anomalous ? 0.9 : 0.1,
      anomalous,
      attribute: 'session.id',
      ...(anomalous && {
        rootCause: {
          service: 'payment',
          operation: 'Charge',
          kind: 'latency' as const,
          evidence: 'payment: Charge took 100 ms where it normally takes 12 ms.',
        },
      }),
    });
    // Written out of order, as batches of a session's traces arrive.
    await sessions.put(
      [7, 3, 6, 5].map((n) => ({
        session: 'shopper-42',
        startUs: (T0 + n * 1000) * 1000,
        trace: line(n, n === 6),
      })),
    );
    await sessions.put([{ session: 'browser-9', startUs: (T0 + 9000) * 1000, trace: line(9, false) }]);

    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${base}/#/anomalies`);
    await page.getByPlaceholder('API key').fill(READ_KEY);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByRole('link', { name: 'Sessions' }).click();
    const rows = page.getByTestId('session-row');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByPlaceholder('session or user id, or its start').fill('shop');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toMatch(/shopper-42\s.*\s4\s+1$/s);
    await rows.first().click();

    const traces = page.getByTestId('session-trace');
    await expect.poll(() => traces.count()).toBe(4);
    expect(await traces.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(
      [3, 5, 6, 7].map(tid),
    );
    const flagged = page.locator('[data-testid=session-trace][data-anomalous=true]');
    expect(await flagged.count()).toBe(1);
    expect(await flagged.innerText()).toContain('payment: Charge took 100 ms where it normally');
    expect(await flagged.innerText()).toContain('0.90');
    await flagged.getByRole('link').click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/anomalies/${tid(6)}`);
    await expect.poll(() => page.getByTestId('waterfall').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets an admin key acknowledge an incident, then resolve it', async () => {
    await incidents.upsert(incident(2, { status: 'open', resolvedAt: undefined }));
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${base}/#/incidents/inc-t-2`);
    await page.getByPlaceholder('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByPlaceholder('note (optional)').fill('rolling back the deploy');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    const acked = page.getByTestId('acknowledged');
    await expect.poll(() => acked.innerText().catch(() => '')).toContain('rolling back the deploy');
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect(await incidents.get('inc-t-2')).toMatchObject({ acknowledgeNote: 'rolling back the deploy' });
    await page.getByRole('button', { name: 'Resolve' }).click();
    await expect.poll(() => page.getByTestId('resolved-by').count()).toBe(1);
    expect(await page.locator('h1 .status').innerText()).toBe('resolved');
    expect(paged.map((e) => e.type)).toEqual(['incident.acknowledged', 'incident.resolved']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws the simulated shop as a graph with quality beside it; a click on a service filters anomalies', async () => {
    // Two minutes of the simulator's shop, ending a minute ago, with cartservice failing: what `serve`
    // records while it polls the simulator.
    const errs = getScenario('shop-errors');
    const g = generate(
      { ...errs, faults: errs.faults.map((f) => ({ ...f, startS: 20, endS: 120 })) },
      { seed: 5, durationS: 120, startUs: Date.now() * 1000 - 180e6 },
    );
    const traces = g.traces.map((s) => normalizeTrace(s[0].traceId, s));
    const verdicts = traces.map((t): Verdict => {
      // The deepest failing span (the last to start) is where the error began.
      const failed = t.spans.filter((s) => s.error).sort((a, b) => b.start - a.start)[0];
      return failed
        ? ({ anomalous: true, rootCauses: [{ service: failed.service }] } as unknown as Verdict)
        : { anomalous: false, rootCauses: [] };
    });
    await aggregates.record(traces, verdicts);
    const services = [...new Set(traces.flatMap((t) => t.spans.map((s) => s.service)))].sort();
    expect(services.length).toBeGreaterThan(10);
    await store.put(stored(1, 0.8));
    await store.put(
      anomaly(20, {
        score: 0.9,
        spans: spans(20),
        rootCauses: [
          {
            service: 'cartservice',
            operation: 'GetCart',
            kind: 'error',
            contribution: 1,
            evidence: 'GetCart failed.',
          },
        ],
      }),
    );

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = consoleErrors(page);
    await page.goto(`${base}/#/topology`);
    await page.getByPlaceholder('API key').fill(READ_KEY);
    await page.getByRole('button', { name: 'Use key' }).click();
    const graph = page.getByTestId('topology-graph');
    const drawn = async (): Promise<Record<string, [number, number]>> =>
      JSON.parse((await graph.getAttribute('data-nodes').catch(() => null)) ?? '{}');
    await expect.poll(async () => Object.keys(await drawn()).sort(), { timeout: 15_000 }).toEqual(services);
    expect(await page.getByTestId('edges').innerText()).toMatch(/frontend → cartservice\s+[\d.]+\s+\d+%/);
    // Heat: cartservice, blamed first most often, is the reddest; a service never blamed stays near white.
    const heat = JSON.parse((await graph.getAttribute('data-fills')) ?? '{}') as Record<string, string>;
    expect(heat.cartservice).toBe('hsl(0, 90%, 55%)');
    expect(Object.values(heat)).toContain('hsl(0, 20%, 97%)');
    const quality = page.getByTestId('quality-row');
    expect(await quality.count()).toBe(services.length);

    const [x, y] = (await drawn()).cartservice;
    const box = (await graph.boundingBox())!;
    await page.mouse.click(box.x + x, box.y + y);
    await expect.poll(() => new URL(page.url()).hash).toBe('#/anomalies?rootCauseService=cartservice');
    const rows = page.getByTestId('anomaly-row');
    await expect
      .poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))))
      .toEqual([tid(20)]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
