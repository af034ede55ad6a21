/**
 * The web UI against the real service: `serve`'s API process (with the UI) and its worker and scheduler,
 * polling the simulator's Jaeger API, on a private Redis. The shop had two faults before the service started:
 * productcatalogservice slow, then cartservice failing. An admin silences productcatalogservice in the browser
 * before the workers start; both faults become incidents, only cartservice's pages. Then the browser walks the
 * screens an on-call engineer walks: the top anomaly, its trace with the cause marked, the comparison with a
 * normal trace, the incident with its causes (acknowledged there), a session, the topology. The README's
 * pictures of those screens come from here (TRACEHOUND_SCREENSHOTS=docs/ui).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startSimServer, type SimServer } from '../../src/sim/index.js';
import { getScenario } from '../../src/sim/scenarios.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { WebhookStore } from '../../src/webhooks/store.js';
import { pollingConfig } from '../helpers/polling-config.js';
import { startService, type Role, type RunningService } from '../../src/app/start.js';
import type { Incident } from '../../src/incidents/incident.js';
import type { Anomaly } from '../../src/store/anomaly-record.js';
import { DIFF_KINDS } from '../../src/explain/compare.js';
import { buildUi, consoleErrors, launchChromium, screenshot } from '../helpers/browser.js';
import { until } from '../helpers/until.js';
import { publishModel, shopEndpoints, trainShopModel } from '../helpers/models.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { Receiver } from '../helpers/receiver.js';
import { isoFromMicros } from '../../src/trace/iso-time.js';

const ADMIN = 'admin-key-4567890';
const READ = 'read-key-1234567';
const BACKFILL_S = 960;

/** The shop at 3 traces/s: productcatalogservice's GetProduct slow 240-420 s, cartservice failing 540-720 s. */
function scenario(): Scenario {
  const errors = getScenario('shop-errors');
  const latency = getScenario('shop-latency');
  return {
    ...errors,
    name: 'shop-two-faults',
    workload: { ...errors.workload, rate: 3 },
    faults: [
      ...latency.faults.map((f) => ({ ...f, startS: 240, endS: 420 })),
      ...errors.faults.map((f) => ({ ...f, startS: 540, endS: 720 })),
    ],
    durationS: BACKFILL_S + 600,
  };
}

describe('the web UI on `serve` polling the simulator', () => {
  let redis: TestRedis;
  let sim: SimServer;
  let api: RunningService;
  let workers: RunningService | undefined;
  const receiver = new Receiver();
  let browser: Browser;
  let ui: Awaited<ReturnType<typeof buildUi>>;
  const pages = receiver.log;
  const logs: string[] = [];
  const T0 = Date.now();

  const config = () =>
    pollingConfig(redis.url, sim.url, {
      TRACEHOUND_INITIAL_LOOKBACK: String(BACKFILL_S + 20),
      TRACEHOUND_INCIDENT_INTERVAL: '1',
      TRACEHOUND_INCIDENT_DELAY: '5',
      TRACEHOUND_API_KEYS: `${ADMIN}:admin,${READ}:read`,
    });
  const start = (roles: Role[]) =>
    startService(
      config(),
      new Set(roles),
      (m) => logs.push(`${((Date.now() - T0) / 1000).toFixed(1)} s ${m}`),
      { uiDir: ui.dir },
    );
  const get = async <T>(url: string): Promise<T> =>
    (await api.api!.inject({ url, headers: { authorization: `Bearer ${READ}` } })).json() as T;

  async function signIn(page: Page, key: string, hash = ''): Promise<void> {
    await page.goto(`${api.url}/${hash}`);
    await page.getByPlaceholder('API key').fill(key);
    await page.getByRole('button', { name: 'Use key' }).click();
  }

  beforeAll(async () => {
    let normalModel: ModelSet;
    [redis, ui, browser, normalModel] = await Promise.all([
      startRedis(),
      buildUi(),
      launchChromium(),
      trainShopModel(),
    ]);
    const admin = new Redis(redis.url);
    await publishModel(admin, shopEndpoints(), normalModel);
    normalModel.dispose();

    await receiver.start();
    await new WebhookStore(admin, { allowPrivate: true }).create({
      url: receiver.url('/am'),
      format: 'alertmanager',
      events: ['incident.opened', 'incident.updated', 'incident.resolved'],
    });
    admin.disconnect();

    sim = await startSimServer({ scenario: scenario(), port: 0, seed: 9, backfillS: BACKFILL_S });
    api = await start(['api']);
  }, 90_000);

  afterAll(async () => {
    await workers?.close();
    await api?.close();
    await sim?.close();
    await receiver.close();
    await browser?.close();
    await redis?.close();
    ui?.remove();
  });

  it('silences a service in the browser: its fault is recorded as an incident and pages nobody', async () => {
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await signIn(page, ADMIN, '#/incidents');
    await page.getByPlaceholder('service, or service:operation').fill('productcatalogservice');
    await page.getByPlaceholder('why (optional)').fill('catalog migration, being watched');
    await page.getByRole('button', { name: 'Silence', exact: true }).click();
    await expect.poll(() => page.getByTestId('silence').count()).toBe(1);

    // Only now do the workers start: the backfill holds both faults.
    workers = await start(['worker', 'scheduler']);
    const both = await until(
      'two incidents',
      async () => {
        const { items } = await get<{ items: Incident[] }>('/v1/incidents?limit=50');
        const first = new Set(items.map((i) => i.rootCauses[0]?.service));
        return first.has('cartservice') && first.has('productcatalogservice') ? items : undefined;
      },
      90_000,
      { everyMs: 500, log: logs },
    );
    const cart = both.find((i) => i.rootCauses[0]?.service === 'cartservice')!;
    const catalog = both.find((i) => i.rootCauses[0]?.service === 'productcatalogservice')!;
    const told = both.map(
      (i) =>
        `${i.id} ${i.status} ${i.start}..${i.end} ${i.endpoints.join(',')} <- ${i.rootCauses
          .slice(0, 3)
          .map((c) => `${c.service}:${c.operation ?? ''} ${c.score.toFixed(2)} ${c.evidence}`)
          .join(' | ')}\n   signals: ${i.signals
          .slice(0, 6)
          .map(
            (g) =>
              `${g.kind} ${g.target.key} ${isoFromMicros(g.minute).slice(11, 16)} ${g.strength.toFixed(1)} ${g.evidence}`,
          )
          .join('\n   ')}`,
    );
    expect(both.map((i) => i.id).sort(), `one incident per fault:\n${told.join('\n')}`).toEqual(
      [cart.id, catalog.id].sort(),
    );
    await until(
      "cartservice's page",
      async () => (pages.some((p) => p.deliveryId.includes(`_${cart.id}_`)) ? true : undefined),
      15_000,
      { everyMs: 500, log: logs },
    );
    await until(
      "the catalog incident's page held back",
      async () =>
        logs.some((l) => l.includes(`${catalog.id}`) && l.includes('silenced')) ? true : undefined,
      15_000,
      { everyMs: 500, log: logs },
    );
    // Nothing about it reaches the receiver, not even its resolve (the receiver never heard it open).
    await until(
      'the catalog incident to resolve',
      async () =>
        (await get<Incident>(`/v1/incidents/${catalog.id}`)).status === 'resolved' ? true : undefined,
      30_000,
      { everyMs: 500, log: logs },
    );
    await until(
      "the catalog incident's resolve held back too",
      async () => (logs.some((l) => l.includes(`incident.resolved ${catalog.id} `)) ? true : undefined),
      15_000,
      { everyMs: 500, log: logs },
    );
    expect(pages.filter((p) => p.deliveryId.includes(`_${catalog.id}_`))).toEqual([]);
    expect(pages.filter((p) => p.deliveryId.includes(`_${cart.id}_opened`))).toHaveLength(1);

    // Still recorded, and shown: the incident list holds both.
    await page.reload();
    const rows = page.getByTestId('incident-row');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('walks from the top anomaly to its trace, the cause marked, and compares it with a normal trace', async () => {
    const [top] = (await get<{ items: Anomaly[] }>('/v1/anomalies?limit=1')).items;
    expect(top, 'the service stored anomalies').toBeDefined();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = consoleErrors(page);
    await signIn(page, READ);
    const rows = page.getByTestId('anomaly-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(10);
    expect(await rows.first().getAttribute('data-id')).toBe(top.id);
    const cause = top.rootCauses[0];
    expect(await rows.first().innerText()).toContain(cause.service);
    // Above the rows, the anomaly rate over time of the endpoints with the most anomalies, drawn.
    const charts = page.getByTestId('anomaly-rate');
    await expect.poll(() => charts.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => charts.first().locator('canvas').count(), { timeout: 10_000 }).toBe(1);
    const rate = await get<{ series: { endpoint: string; anomalous: number[] }[] }>(
      '/v1/anomaly-rate?limit=4',
    );
    expect(await charts.evaluateAll((els) => els.map((e) => e.getAttribute('data-endpoint')))).toEqual(
      rate.series.map((s) => s.endpoint),
    );
    expect(rate.series[0].anomalous.some((n) => n > 0)).toBe(true);
    await screenshot(page, 'anomalies');

    await rows.first().click();
    const marked = page.locator('[data-testid=span][data-root-cause=true]');
    await expect.poll(() => marked.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await marked.first().getAttribute('data-service')).toBe(cause.service);
    expect(await marked.first().innerText()).toContain('cause #1');
    expect(await page.getByTestId('root-causes').innerText()).toContain(cause.evidence.slice(0, 40));
    await screenshot(page, 'anomaly');

    await page.getByRole('button', { name: 'Compare with normal' }).click();
    const diff = page.getByTestId('diff-row');
    await expect.poll(() => diff.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('compare').innerText()).toMatch(/the most typical of \d+ normal traces/);
    expect(await page.getByTestId('waterfall-normal').count()).toBe(1);
    const kinds = await diff.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds.every((k) => (DIFF_KINDS as readonly (string | null)[]).includes(k))).toBe(true);

    // A click on an endpoint's chart narrows the list to that endpoint.
    await page.getByRole('link', { name: 'Anomalies' }).first().click();
    const chart = page.getByTestId('anomaly-rate').first();
    await expect.poll(() => chart.count(), { timeout: 10_000 }).toBe(1);
    const endpoint = (await chart.getAttribute('data-endpoint'))!;
    await chart.click();
    const filtered = () => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '').get('endpoint');
    await expect.poll(filtered).toBe(endpoint);
    await expect
      .poll(() => page.getByTestId('anomaly-row').first().innerText(), { timeout: 10_000 })
      .toContain(endpoint.slice(endpoint.indexOf(':') + 1));
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("shows cartservice's incident with its causes, and an admin acknowledges it there", async () => {
    const { items } = await get<{ items: Incident[] }>('/v1/incidents?limit=50');
    const cart = items.find((i) => i.rootCauses[0]?.service === 'cartservice')!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = consoleErrors(page);
    await signIn(page, ADMIN, `#/incidents/${encodeURIComponent(cart.id)}`);
    const causes = page.getByTestId('incident-causes');
    await expect.poll(() => causes.innerText().catch(() => ''), { timeout: 10_000 }).toContain('#1');
    const heads = await causes.locator('.cause-head').allTextContents();
    // Named by the operation the fault broke, with a sentence that says so.
    expect(heads[0]).toContain('cartservice: hipstershop.CartService/GetCart');
    expect(await causes.innerText()).toMatch(/GetCart failed \d+ times in \d+ calls/);
    expect(await causes.innerText()).toContain(cart.rootCauses[0].evidence.slice(0, 40));
    expect(await page.getByTestId('incident-traces').getByRole('link').count()).toBeGreaterThan(0);
    await screenshot(page, 'incident');

    await page.getByPlaceholder('note (optional)').fill('rolling back cartservice');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await expect
      .poll(() =>
        page
          .getByTestId('acknowledged')
          .innerText()
          .catch(() => ''),
      )
      .toContain('rolling back cartservice');
    const after = await get<Incident>(`/v1/incidents/${encodeURIComponent(cart.id)}`);
    expect(after.acknowledgeNote).toBe('rolling back cartservice');
    // Who was told, read from the dispatcher's own log: the receiver got the opening.
    const opened = page.locator('[data-testid=incident-delivery][data-event="incident.opened"]');
    await expect.poll(() => opened.count(), { timeout: 10_000 }).toBe(1);
    expect(await opened.getAttribute('data-status')).toBe('delivered');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('finds a session of the shop by its id and lists its traces in time order, its anomaly leading on', async () => {
    type Summary = { id: string; traces: number; anomalies: number };
    const { items } = await get<{ items: Summary[] }>('/v1/sessions?limit=100');
    const chosen = items.find((x) => x.anomalies > 0 && x.traces >= 3);
    expect(chosen, `a session with an anomaly among ${items.length}`).toBeDefined();
    const truth = await get<{ items: { traceId: string; startTime: string; anomalous: boolean }[] }>(
      `/v1/sessions/${encodeURIComponent(chosen!.id)}`,
    );
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    await signIn(page, READ, '#/sessions');
    await page.getByPlaceholder('session or user id, or its start').fill(chosen!.id);
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.getByTestId('session-row');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    await rows.first().click();
    const traces = page.getByTestId('session-trace');
    await expect.poll(() => traces.count(), { timeout: 10_000 }).toBe(truth.items.length);
    const byTime = [...truth.items].sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime));
    expect(await traces.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(
      byTime.map((t) => t.traceId),
    );
    const flagged = page.locator('[data-testid=session-trace][data-anomalous=true]');
    expect(await flagged.count()).toBe(truth.items.filter((t) => t.anomalous).length);
    await flagged.first().getByRole('link').click();
    await expect.poll(() => page.getByTestId('waterfall').count(), { timeout: 10_000 }).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);

  it("draws the shop's topology from what the service recorded", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = consoleErrors(page);
    await signIn(page, READ, '#/topology');
    const graph = page.getByTestId('topology-graph');
    const drawn = async () =>
      Object.keys(JSON.parse((await graph.getAttribute('data-nodes').catch(() => null)) ?? '{}'));
    await expect
      .poll(drawn, { timeout: 15_000 })
      .toEqual(expect.arrayContaining(['cartservice', 'frontend']));
    expect(await page.getByTestId('edges').innerText()).toMatch(/frontend → cartservice/);
    await screenshot(page, 'topology');
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);
});
