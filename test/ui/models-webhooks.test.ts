import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ModelInfo } from '../../src/api/index.js';
import { runTrainTask } from '../../src/jobs/train-task.js';
import { trainEndpoint } from '../../src/jobs/trainer.js';
import { ModelRegistry } from '../../src/registry/redis-registry.js';
import { trainModelSet } from '../../src/scoring/train.js';
import { modelsApi, webhooksApi } from '../../src/app/adapters.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { TraceReservoir } from '../../src/store/reservoir.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import { appendDeliveryLog } from '../../src/webhooks/delivery-log.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { WebhookStore } from '../../src/webhooks/store.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps, emptyAnomalies } from '../helpers/api-stubs.js';
import { buildUi, launchChromium, openSignedIn, screenshot } from '../helpers/browser.js';
import { checkout } from '../helpers/checkout.js';
import { useRedis } from '../helpers/redis.js';
import { Receiver } from '../helpers/receiver.js';

/** The shop's checkouts (payment 10-14.5 ms): what the models here train on. */
const normalCheckouts = Array.from({ length: 60 }, (_, i) =>
  checkout(1000 + i, { chargeUs: 10_000 + (i % 10) * 500 }),
);
const EP = 'frontend:GET /checkout';
const MIN_TRACES = 50;

let redis: RedisClient;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let ui: Awaited<ReturnType<typeof buildUi>>;
let webhooks: WebhookStore;
let dispatcher: WebhookDispatcher;
const rx = new Receiver();
const retrains: (string[] | undefined)[] = [];

useRedis((c) => (redis = c));
beforeAll(async () => {
  [ui, browser] = await Promise.all([buildUi(), launchChromium(), rx.start()]);
  const registry = new ModelRegistry(redis);
  const reservoir = new TraceReservoir(redis);
  // The training queue, run at once: a click on "Retrain now" leaves a new version behind before it answers.
  const jobs = {
    retrain: async (endpoints?: string[]) => {
      retrains.push(endpoints);
      for (const ep of endpoints ?? (await reservoir.endpoints()))
        await trainEndpoint(ep, {
          reservoir,
          registry,
          minTraces: MIN_TRACES,
          train: { forest: false, autoencoder: false },
          run: runTrainTask,
        });
      return `job-${retrains.length}`;
    },
  };
  webhooks = new WebhookStore(redis, { allowPrivate: true });
  dispatcher = new WebhookDispatcher({
    connection: redis,
    store: webhooks,
    allowPrivate: true,
    timeoutMs: 2000,
  });
  app = await buildApi(
    baseDeps({
      anomalies: emptyAnomalies(),
      traffic: new AggregateStore(redis, { retentionS: 3600 }),
      models: modelsApi(registry, jobs, { reservoir, minTraces: MIN_TRACES }),
      webhooks: webhooksApi(webhooks, dispatcher),
    }),
    { rateLimit: false, uiDir: ui.dir },
  );
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await dispatcher?.close();
  await new Promise((r) => rx.server?.close(r));
  ui?.remove();
});

const open = (path: string, key: string) => openSignedIn(browser, base, path, key);

/** Two versions of the checkout endpoint, v2 active; a cart endpoint with a little traffic and no model. */
async function twoVersions(): Promise<void> {
  const registry = new ModelRegistry(redis);
  const reservoir = new TraceReservoir(redis);
  await reservoir.addTraces(normalCheckouts);
  // Scored as normal (when they happened): the endpoint's traffic count.
  const then = normalCheckouts[59].start / 1000;
  await new AggregateStore(redis, { retentionS: 3600, now: () => then }).record(
    normalCheckouts,
    normalCheckouts.map(() => ({ anomalous: false, rootCauses: [] })),
  );
  for (const note of ['first model of this endpoint', 'trained by hand']) {
    const set = await trainModelSet(normalCheckouts, { forest: false, autoencoder: false });
    await registry.publish(EP, set, note);
    set.dispose();
  }
  await registry.activate(EP, 2);
  for (const t of normalCheckouts.slice(0, 3)) await reservoir.add('cart:GetCart', t);
}

const listed = async (): Promise<ModelInfo> => {
  const res = await app.inject({ method: 'GET', url: '/v1/models', headers: auth(READ_KEY) });
  return (res.json().items as ModelInfo[]).find((m) => m.endpoint === EP)!;
};

describe('web UI: models', () => {
  it('shows each endpoint with its active version; an admin key rolls back, activates and retrains', async () => {
    await twoVersions();
    const { page, errors } = await open('models', ADMIN_KEY);
    const card = page.locator(`[data-testid=model][data-endpoint="${EP}"]`);
    await expect
      .poll(() =>
        card
          .getByTestId('active-version')
          .innerText()
          .catch(() => ''),
      )
      .toBe('active v2');
    expect(await card.getByTestId('model-status').innerText()).toBe('trained');
    expect(await card.getByTestId('model-version').count()).toBe(2);
    expect(await card.innerText()).toContain('60 traces scored');
    expect(await card.innerText()).toContain('60 seen for training, 60 kept (50 needed)');
    const cart = page.locator('[data-testid=model][data-endpoint="cart:GetCart"]');
    expect(await cart.getByTestId('model-status').innerText()).toBe('no model');
    expect(await cart.getByTestId('model-reason').innerText()).toBe('3 traces kept for training, 50 needed');

    await card.getByRole('button', { name: 'Roll back to v1' }).click();
    await expect.poll(() => card.getByTestId('active-version').innerText()).toBe('active v1');
    expect((await listed()).activeVersion).toBe(1);
    await card
      .locator('[data-testid=model-version][data-version="2"]')
      .getByRole('button', { name: 'Activate' })
      .click();
    await expect.poll(() => card.getByTestId('active-version').innerText()).toBe('active v2');
    expect((await listed()).activeVersion).toBe(2);

    await card.getByRole('button', { name: 'Retrain now' }).click();
    await expect.poll(() => card.getByTestId('model-version').count()).toBe(3);
    expect(retrains).toEqual([[EP]]);
    const v3 = (await listed()).versions.find((v) => v.version === 3)!;
    // Judged against the active v2 on the 12 held-out traces (20% of 60).
    expect(v3.heldOut).toMatchObject({ traces: 12, targetFpr: 0.01, activeFlagRate: expect.any(Number) });
    expect(await page.getByTestId('models-notice').innerText()).toBe(`Retrain queued (job job-1) for ${EP}.`);
    const row = card.locator('[data-testid=model-version][data-version="3"]');
    expect(await row.innerText()).toContain(`${(v3.heldOut!.flagRate * 100).toFixed(2)}% (target 1.00%)`);
    expect(await row.innerText()).toContain('held-out false-positive error');
    await screenshot(page, 'models');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a read key the models and no buttons to change them', async () => {
    await twoVersions();
    const { page, errors } = await open('models', READ_KEY);
    const card = page.locator(`[data-testid=model][data-endpoint="${EP}"]`);
    await expect
      .poll(() =>
        card
          .getByTestId('active-version')
          .innerText()
          .catch(() => ''),
      )
      .toBe('active v2');
    expect(await card.getByTestId('model-version').count()).toBe(2);
    expect(await page.getByRole('button').allInnerTexts()).toEqual(['Forget key']);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('web UI: webhooks', () => {
  it('lists a webhook with its delivery log; an admin key sends a test, adds and deletes one', async () => {
    const hook = await webhooks.create({ url: rx.url('/hook'), secret: 'whsec_c2VjcmV0LXNlY3JldA==' });
    const at = (s: number) => new Date(Date.now() - s * 1000).toISOString();
    const entry = { deliveryId: 'inc_1_opened:x', event: 'incident.opened', eventId: 'inc_1_opened' };
    await appendDeliveryLog(
      redis,
      hook.id,
      { ...entry, attempt: 1, status: 503, outcome: 'retrying', ms: 40, at: at(60) },
      50,
    );
    await appendDeliveryLog(
      redis,
      hook.id,
      { ...entry, attempt: 2, status: 200, outcome: 'delivered', ms: 12, at: at(58) },
      50,
    );

    const { page, errors } = await open('webhooks', ADMIN_KEY);
    const card = page.locator(`[data-testid=webhook][data-id="${hook.id}"]`);
    const rows = card.getByTestId('delivery');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await card.locator('h2').innerText()).toContain(rx.url('/hook'));
    // Newest first; the secret is shown redacted as the API gives it.
    expect(await rows.first().innerText()).toMatch(/incident\.opened\s+delivered\s+200\s+2\s+12\.0 ms/);
    expect(await rows.nth(1).innerText()).toMatch(/incident\.opened\s+retrying\s+503\s+1\s+40\.0 ms/);
    expect(await card.innerText()).toContain('secret whsec_…');
    expect(await card.innerText()).not.toContain('c2VjcmV0');

    await card.getByRole('button', { name: 'Send test' }).click();
    await expect
      .poll(() =>
        card
          .getByTestId('test-result')
          .innerText()
          .catch(() => ''),
      )
      .toMatch(/^Test delivered: HTTP 200 in /);
    expect(rx.count('/hook')).toBe(1);
    expect(JSON.parse(rx.hits.get('/hook')![0].body)).toMatchObject({ type: 'webhook.test' });
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.first().getAttribute('data-status')).toBe('test');
    await screenshot(page, 'webhooks');

    await page.getByPlaceholder('https://receiver.example.com/hook').fill(rx.url('/second'));
    await page.getByLabel('format').selectOption('slack');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await expect.poll(() => page.getByTestId('webhook').count()).toBe(2);
    const second = (await webhooks.list()).find((w) => w.url.endsWith('/second'))!;
    expect(second).toMatchObject({ format: 'slack', enabled: true });
    const card2 = page.locator(`[data-testid=webhook][data-id="${second.id}"]`);
    await expect.poll(() => card2.innerText()).toContain('Nothing delivered yet.');
    await card2.getByRole('button', { name: 'Delete…' }).click();
    await card2.getByRole('button', { name: 'Delete, with its log' }).click();
    await expect.poll(() => page.getByTestId('webhook').count()).toBe(1);
    expect((await webhooks.list()).map((w) => w.id)).toEqual([hook.id]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a read key the webhooks and their log, and no way to change them', async () => {
    const hook = await webhooks.create({ url: rx.url('/read'), format: 'alertmanager' });
    await dispatcher.sendTest(hook.id);
    const { page, errors } = await open('webhooks', READ_KEY);
    const rows = page.getByTestId('delivery');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toMatch(/webhook\.test\s+test\s+200\s+1/);
    expect(await page.getByTestId('webhook').innerText()).toContain(
      'events: incident.opened, incident.updated, incident.acknowledged, incident.resolved',
    );
    expect(await page.getByRole('button').allInnerTexts()).toEqual(['Forget key']);
    expect(await page.getByTestId('webhook-form').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
