import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { SilenceStore } from '../../src/store/silences.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { READ_KEY, baseDeps } from '../helpers/api-stubs.js';
import { buildUi, launchChromium, openSignedIn } from '../helpers/browser.js';
import { useRedis } from '../helpers/redis.js';
import { anomaly, tid } from '../helpers/anomaly-fixtures.js';

/** Thirty pages of the list's 100. */
const COUNT = 3000;
/** 1637 is prime to COUNT, so every anomaly has a score of its own and the ranking has no ties. */
const scoreOf = (n: number) => ((n * 1637) % COUNT) / COUNT;
const operationOf = (n: number) => `GET /item/${n}`;
const ranked = Array.from({ length: COUNT }, (_, n) => n).sort((a, b) => scoreOf(b) - scoreOf(a));

let redis: RedisClient;
let store: AnomalyStore;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let ui: Awaited<ReturnType<typeof buildUi>>;

useRedis((c) => (redis = c));
beforeAll(async () => {
  [ui, browser] = await Promise.all([buildUi(), launchChromium()]);
  store = new AnomalyStore(redis);
  app = await buildApi(
    baseDeps({
      redis,
      anomalies: store,
      incidents: new IncidentStore(redis),
      aggregates: new AggregateStore(redis, { retentionS: 3600 }),
      silences: new SilenceStore(redis),
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

/** What the page shows of each row in the DOM: its place among all rows (1 is the header), id and text. */
interface Shown {
  at: number;
  id: string;
  text: string;
}

describe('web UI: a long anomaly list', () => {
  it('loads page after page as it is scrolled, draws only the rows near the view, in rank order', async () => {
    for (let i = 0; i < COUNT; i += 250)
      await Promise.all(
        Array.from({ length: 250 }, (_, k) =>
          store.put(anomaly(i + k, { score: scoreOf(i + k), operation: operationOf(i + k) })),
        ),
      );
    const { page, errors } = await openSignedIn(browser, base, 'anomalies', READ_KEY);
    const rows = page.getByTestId('anomaly-row');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThan(10);
    expect(await rows.first().getAttribute('data-id')).toBe(tid(ranked[0]));

    // The most rows the DOM ever held, from here on: every change of the list is looked at, not samples.
    await page.evaluate(`(() => {
      const count = () => document.querySelectorAll('[data-testid=anomaly-row]').length;
      window.mostRows = count();
      new MutationObserver(() => (window.mostRows = Math.max(window.mostRows, count()))).observe(
        document.querySelector('[data-testid=anomaly-list]'), { childList: true, subtree: true });
    })()`);
    const list = page.getByTestId('anomaly-list');
    const box = page.locator('.anomaly-box');
    const shown = (): Promise<Shown[]> =>
      rows.evaluateAll((els) =>
        els.map((e) => ({
          at: Number(e.getAttribute('aria-rowindex')),
          id: e.getAttribute('data-id') ?? '',
          text: e.textContent ?? '',
        })),
      );
    // Each row drawn is the one of its rank, with that anomaly's endpoint and score; no rank is skipped.
    const expectRanked = (drawn: Shown[]) => {
      drawn.forEach((r, i) => {
        expect(r.at).toBe(drawn[0].at + i);
        const n = ranked[r.at - 2];
        expect(r.id).toBe(tid(n));
        expect(r.text).toContain(`frontend: ${operationOf(n)}`);
        expect(r.text).toContain(scoreOf(n).toFixed(2));
      });
    };

    // To the end of the list: each scroll to the bottom brings the next page, until the server has no more.
    await expect
      .poll(
        async () => {
          await box.evaluate((el) => (el.scrollTop = el.scrollHeight));
          return list.getAttribute('aria-rowcount');
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBe(String(COUNT + 1));
    await expect.poll(async () => (await shown()).at(-1)?.at).toBe(COUNT + 1);
    const atEnd = await shown();
    expect(atEnd.length).toBeGreaterThan(10);
    expectRanked(atEnd);
    expect(await page.evaluate('window.mostRows')).toBeLessThan(200);

    // Halfway back up: the rows there are drawn in their place.
    await box.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await expect
      .poll(async () => (await shown())[0]?.at, { timeout: 5_000 })
      .toSatisfy((at: number) => at > COUNT * 0.3 && at < COUNT * 0.7);
    expectRanked(await shown());
    await box.evaluate((el) => (el.scrollTop = 0));
    await expect.poll(async () => (await shown())[0]?.at).toBe(2);
    expectRanked(await shown());
    expect(await page.evaluate('window.mostRows')).toBeLessThan(200);

    // A new top anomaly still shows up without a reload, and a row opens its anomaly.
    await store.put(anomaly(COUNT, { score: 1, operation: operationOf(COUNT) }));
    await expect.poll(() => rows.first().getAttribute('data-id'), { timeout: 15_000 }).toBe(tid(COUNT));
    // It pushed the first page's last row past the page's end, before the cursor the later pages were read
    // from: that row stays, once, in its place between the first page and the next.
    expect(await list.getAttribute('aria-rowcount')).toBe(String(COUNT + 2));
    await box.evaluate((el, rows) => (el.scrollTop = (el.scrollHeight * 95) / rows), COUNT + 2);
    await expect.poll(async () => (await shown()).map((r) => r.at), { timeout: 5_000 }).toContain(102);
    const boundary = await shown();
    boundary.forEach((r, i) => {
      expect(r.at).toBe(boundary[0].at + i);
      expect(r.id).toBe(tid(ranked[r.at - 3]));
    });
    await box.evaluate((el) => (el.scrollTop = 0));
    await expect.poll(async () => (await shown())[0]?.at).toBe(2);
    await rows.nth(1).click();
    await expect.poll(() => page.url()).toContain(`#/anomalies/${tid(ranked[0])}`);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
