import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { webhooksApi } from '../../src/app/adapters.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { SilenceStore } from '../../src/store/silences.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { appendDeliveryLog, type DeliveryLogEntry } from '../../src/webhooks/delivery-log.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { WebhookStore } from '../../src/webhooks/store.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';
import { buildUi, launchChromium, openSignedIn } from '../helpers/browser.js';
import { checkout } from '../helpers/checkout.js';
import { useRedis } from '../helpers/redis.js';
import { incident, signalAt } from '../helpers/incident-fixtures.js';
import { anomaly, tid, T0 } from '../helpers/anomaly-fixtures.js';

const EP = 'frontend:GET /checkout';
/** checkout(n) starts at this second plus 10 n: n = 4 starts a minute, so six traces make each minute. */
const startS = (n: number) => 1_700_000_000 + 10 * n;
/** The incident: five minutes from trace 364's minute, an hour after trace 4's. */
const START_MS = startS(364) * 1000;

let redis: RedisClient;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let ui: Awaited<ReturnType<typeof buildUi>>;
let webhooks: WebhookStore;
let dispatcher: WebhookDispatcher;

useRedis((c) => (redis = c));
beforeAll(async () => {
  [ui, browser] = await Promise.all([buildUi(), launchChromium()]);
  webhooks = new WebhookStore(redis, { allowPrivate: true });
  dispatcher = new WebhookDispatcher({ connection: redis, store: webhooks, allowPrivate: true });
  app = await buildApi(
    baseDeps({
      redis,
      anomalies: new AnomalyStore(redis),
      incidents: new IncidentStore(redis),
      aggregates: new AggregateStore(redis, { retentionS: 3600 }),
      webhooks: webhooksApi(webhooks, dispatcher),
      silences: new SilenceStore(redis),
    }),
    { rateLimit: false, uiDir: ui.dir },
  );
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await dispatcher?.close();
  ui?.remove();
});

const open = (path: string, key: string) => openSignedIn(browser, base, path, key);

describe('web UI: one incident in context', () => {
  it('sets its window against the hour before, and lists the webhook deliveries of its events only', async () => {
    // The hour before: 360 checkouts, one in 36 flagged (10); the window: 30, every other one flagged (15).
    const traces = Array.from({ length: 390 }, (_, k) => checkout(4 + k));
    const flagged = (k: number) => (k < 360 ? k % 36 === 0 : k % 2 === 0);
    await new AggregateStore(redis, { retentionS: 3600, now: () => START_MS }).record(
      traces,
      traces.map((_, k) => ({ anomalous: flagged(k), rootCauses: [] })),
    );
    const iso = (ms: number) => new Date(ms).toISOString();
    await new IncidentStore(redis).upsert(
      incident(1, {
        status: 'open',
        resolvedAt: undefined,
        start: iso(START_MS),
        end: iso(START_MS + 5 * 60_000),
        endpoints: [EP, 'frontend:GET /quiet'],
        signals: [signalAt(START_MS, EP)],
      }),
    );

    // Two webhooks' logs: this incident's events among another incident's (inc-t-10: the same prefix) and
    // an anomaly's, which the page must leave out.
    const told = await webhooks.create({ url: 'http://127.0.0.1:9/hooks/secret-token' });
    const other = await webhooks.create({ url: 'http://127.0.0.1:9/pager', format: 'alertmanager' });
    const log = (hook: string, eventId: string, event: string, s: number, more: Partial<DeliveryLogEntry>) =>
      appendDeliveryLog(
        redis,
        hook,
        {
          deliveryId: `${eventId}:${hook}`,
          eventId,
          event,
          attempt: 1,
          status: 200,
          outcome: 'delivered',
          ms: 12,
          at: iso(START_MS + s * 1000),
          ...more,
        },
        200,
      );
    await log(told.id, 'incident_inc-t-1_opened', 'incident.opened', 60, {});
    await log(told.id, 'incident_inc-t-10_opened', 'incident.opened', 70, {});
    await log(told.id, 'anomaly_' + tid(5), 'anomaly.detected', 80, {});
    await log(told.id, 'incident_inc-t-1_updated_r3', 'incident.updated', 120, {
      status: 503,
      outcome: 'failed',
      attempt: 18,
      error: 'HTTP 503',
    });
    await log(other.id, 'incident_inc-t-1_acknowledged', 'incident.acknowledged', 90, {});

    const { page, errors } = await open('incidents/inc-t-1', READ_KEY);
    const rows = page.getByTestId('window-row');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.first().innerText()).toMatch(
      /frontend:GET \/checkout\s+2\.8% of 360 traces\s+50\.0% of 30 traces/,
    );
    expect(await rows.nth(1).innerText()).toMatch(/GET \/quiet\s+no traffic recorded\s+no traffic recorded/);
    // The chart is drawn once uPlot has loaded, after the rows.
    await expect.poll(() => rows.first().locator('canvas').count()).toBe(1);

    const sent = page.getByTestId('incident-delivery');
    await expect.poll(() => sent.count()).toBe(3);
    expect(await sent.evaluateAll((els) => els.map((e) => e.getAttribute('data-event')))).toEqual([
      'incident.updated',
      'incident.acknowledged',
      'incident.opened',
    ]);
    const failed = await sent.first().innerText();
    expect(failed).toMatch(/http:\/\/127\.0\.0\.1:9\/hooks\/…\s+incident\.updated\s+failed\s+503\s+18/);
    expect(await page.getByTestId('incident-deliveries').innerText()).not.toContain('secret-token');
    expect(errors).toEqual([]);
    await page.close();

    // The route answers 404 for an unknown incident rather than an empty list.
    const missing = await app.inject({ url: '/v1/incidents/inc-t-99/deliveries', headers: auth(READ_KEY) });
    expect(missing.statusCode).toBe(404);
  });
});

describe('web UI: the anomaly list filters', () => {
  it('ranks by time and narrows by service, root cause, minimum score and time range from its controls; a row links to Jaeger', async () => {
    const store = new AnomalyStore(redis);
    const at = (min: number) => new Date(T0 + min * 60_000).toISOString();
    await store.put(anomaly(40, { service: 'frontend', score: 0.9, startTime: at(0) }));
    await store.put(anomaly(41, { service: 'frontend', score: 0.6, startTime: at(10) }));
    await store.put(
      anomaly(42, {
        service: 'checkout',
        operation: 'PlaceOrder',
        score: 0.95,
        startTime: at(20),
        link: `http://jaeger.example:16686/trace/${tid(42)}`,
      }),
    );
    await store.put(
      anomaly(43, {
        service: 'checkout',
        operation: 'PlaceOrder',
        score: 0.8,
        startTime: at(30),
        rootCauses: [
          { service: 'inventory', kind: 'error', contribution: 1, evidence: 'inventory: Reserve failed.' },
        ],
      }),
    );

    const { page, errors } = await open('anomalies', ADMIN_KEY);
    const rows = page.getByTestId('anomaly-row');
    const ids = () => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    await expect.poll(ids).toEqual([42, 40, 43, 41].map(tid));

    const services = () => page.getByLabel('Service').locator('option').allTextContents();
    await expect.poll(services).toEqual(expect.arrayContaining(['any', 'checkout', 'frontend']));
    await page.getByLabel('Service').selectOption('checkout');
    await expect.poll(ids).toEqual([42, 43].map(tid));
    await page.getByLabel('Service').selectOption('');
    await page.getByLabel('Root cause in').selectOption('inventory');
    await expect.poll(ids).toEqual([tid(43)]);
    await page.getByLabel('Root cause in').selectOption('');
    await page.getByLabel('Rank by').selectOption('time');
    await expect.poll(ids).toEqual([43, 42, 41, 40].map(tid));
    await page.getByLabel('Min score').fill('0.85');
    await page.getByLabel('Min score').press('Tab');
    await expect.poll(ids).toEqual([42, 40].map(tid)); // by time now
    // From 5 min after T0 (local time, as the engineer types it): the anomaly at T0 drops out.
    const local = new Date(T0 + 5 * 60_000 - new Date(T0).getTimezoneOffset() * 60_000);
    await page.getByLabel('From').fill(local.toISOString().slice(0, 16));
    await expect.poll(ids).toEqual([tid(42)]);
    // Two years back is wider than the rate charts go: they say so rather than ask (a 400 in the console).
    expect(await page.locator('section').innerText()).toContain('Rate charts cover at most 7 days');

    await rows.first().click();
    const jaeger = page.getByRole('link', { name: /Open in Jaeger/ });
    await expect.poll(() => jaeger.count()).toBe(1);
    expect(await jaeger.getAttribute('href')).toBe(`http://jaeger.example:16686/trace/${tid(42)}`);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('web UI: one anomaly', () => {
  it('lists a call the trace was expected to make and did not, with the root cause naming it', async () => {
    const t = (T0 + 50_000) * 1000;
    const span = (
      id: string,
      parent: string | undefined,
      service: string,
      operation: string,
      dur: number,
    ) => ({
      spanId: id.padStart(16, '0'),
      parentId: parent?.padStart(16, '0'),
      service,
      operation,
      start: t,
      duration: dur,
      error: false,
    });
    await new AnomalyStore(redis).put(
      anomaly(50, {
        spans: [
          span('1', undefined, 'frontend', 'GET /checkout', 30_000),
          span('2', '1', 'checkout', 'PlaceOrder', 25_000),
        ],
        rootCauses: [
          {
            service: 'cart',
            operation: 'GetCart',
            kind: 'structure',
            contribution: 0.6,
            evidence: 'checkout: PlaceOrder did not call cart: GetCart, which 100% of normal traces did.',
          },
          {
            service: 'checkout',
            operation: 'PlaceOrder',
            kind: 'latency',
            contribution: 0.4,
            evidence: 'PlaceOrder was slow.',
          },
        ],
      }),
    );
    const { page, errors } = await open(`anomalies/${tid(50)}`, READ_KEY);
    const absent = page.getByTestId('absent-span');
    await expect.poll(() => absent.count()).toBe(1);
    expect(await absent.getAttribute('data-service')).toBe('cart');
    expect(await absent.innerText()).toMatch(/cart GetCart\s*not in this trace\s*cause #1 · 60%/);
    expect(await absent.innerText()).toContain('PlaceOrder did not call cart: GetCart');
    // A cause that names a span marks that span, and is not listed again as absent.
    const marked = page.locator('[data-testid=span][data-root-cause=true]');
    expect(await marked.evaluateAll((els) => els.map((e) => e.getAttribute('data-service')))).toEqual([
      'checkout',
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('web UI: the API key', () => {
  it('is kept for the tab across a reload, and asked for again once forgotten', async () => {
    const { page, errors } = await open('incidents', READ_KEY);
    await expect
      .poll(() =>
        page
          .locator('header .who')
          .innerText()
          .catch(() => ''),
      )
      .toContain('read key');
    await page.reload();
    await expect
      .poll(() =>
        page
          .locator('header .who')
          .innerText()
          .catch(() => ''),
      )
      .toContain('read key');
    expect(await page.getByPlaceholder('API key').count()).toBe(0);
    await page.getByRole('button', { name: 'Forget key' }).click();
    await expect.poll(() => page.getByPlaceholder('API key').count()).toBe(1);
    // A new tab starts without it (sessionStorage is per tab).
    const other = await browser.newPage();
    await other.goto(`${base}/#/incidents`);
    await expect.poll(() => other.getByPlaceholder('API key').count()).toBe(1);
    expect(errors).toEqual([]);
    await other.close();
    await page.close();
  });
});

describe('web UI: silencing from an incident', () => {
  it("offers an admin key a silence of the open incident's first suspect on its page", async () => {
    await new IncidentStore(redis).upsert(
      incident(7, {
        status: 'open',
        resolvedAt: undefined,
        rootCauses: [
          {
            service: 'cartservice',
            operation: 'GetCart',
            instance: 'cart-2',
            attribute: 'app.version=1.4.2',
            score: 0.7,
            evidence: 'app.version=1.4.2 is on 90% of the flagged traces and 10% of the others',
          },
        ],
      }),
    );
    const { page, errors } = await open('incidents/inc-t-7', ADMIN_KEY);
    const target = page.getByPlaceholder('service, or service:operation');
    await expect.poll(() => target.inputValue().catch(() => '')).toBe('cartservice');
    // The cause as ranked: its service, operation, instance and the attribute value its traces share.
    expect(await page.getByTestId('incident-causes').innerText()).toMatch(
      /#1\s*cartservice: GetCart on cart-2\s*app\.version=1\.4\.2\s*70%\s*app\.version=1\.4\.2 is on 90%/,
    );
    await page.getByRole('button', { name: 'Silence', exact: true }).click();
    await expect.poll(() => page.getByTestId('silence').count()).toBe(1);
    const [active] = await new SilenceStore(redis).active();
    expect(active).toMatchObject({ service: 'cartservice' });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('web UI: topology', () => {
  it('asks for the time range picked, and keeps it in the address', async () => {
    const { page, errors } = await open('topology', READ_KEY);
    const spans: number[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/v1/topology')
        spans.push(Number(u.searchParams.get('to')) - Number(u.searchParams.get('from')));
    });
    await expect.poll(() => page.getByText('No traffic recorded in this range.').count()).toBe(1);
    await page.getByLabel('Last').selectOption({ label: '6 h' });
    await expect.poll(() => spans.at(-1)).toBe(6 * 3_600_000);
    expect(new URL(page.url()).hash).toBe('#/topology?minutes=360');
    expect(errors).toEqual([]);
    await page.close();
  });
});
