/**
 * The web UI's first screen with many stored anomalies: time from opening `/` to the ranked rows being on
 * screen, in Debian's chromium headless, and the size of the built assets. Needs redis-server and chromium.
 */
import { readdirSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { buildApi } from '../src/api/index.js';
import { startRedis } from '../src/app/private-redis.js';
import { AnomalyStore } from '../src/store/anomalies.js';
import type { Anomaly } from '../src/store/anomaly-record.js';
import { buildUi, launchChromium } from '../test/helpers/browser.js';
import { median } from '../src/detectors/median.js';

const SERVICES = ['frontend', 'checkout', 'cart', 'payment', 'shipping', 'catalog', 'ads', 'email'];

function anomaly(n: number, t0: number): Anomaly {
  const id = n.toString(16).padStart(32, '0');
  const svc = SERVICES[n % SERVICES.length];
  const cause = SERVICES[(n * 7 + 3) % SERVICES.length];
  return {
    traceId: id,
    id,
    service: svc,
    operation: `GET /${svc}/${n % 5}`,
    startTime: new Date(t0 + n * 100).toISOString(),
    durationMs: 100 + (n % 900),
    spanCount: 12,
    score: ((n * 2654435761) % 1000) / 1000,
    anomalous: true,
    detectors: { baseline: 0.9 },
    rootCauses: [
      {
        service: cause,
        operation: 'Call',
        kind: 'latency',
        contribution: 0.7,
        evidence: `${cause}: Call was slow.`,
      },
      { service: svc, kind: 'error', contribution: 0.3, evidence: `${svc} failed.` },
    ],
    detectedAt: new Date(t0 + n * 100 + 5000).toISOString(),
  };
}

function assetSizes(dir: string): { bytes: number; gzip: number } {
  let bytes = 0;
  let gzip = 0;
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const b = readFileSync(p);
        bytes += b.length;
        gzip += gzipSync(b).length;
      }
    }
  };
  walk(dir);
  return { bytes, gzip };
}

/**
 * The rows that make the first screen: the list draws only those in and near its scroll box's view (issue 16),
 * about twenty at 1280x720, where it drew all of the first page's 100 in one render before.
 */
const SHOWN = 10;

/** Ms from navigation start: when each request started and ended, and when the first screen's rows were on. */
type Waterfall = Record<string, { start: number; end: number }>;

/**
 * Notes, in the page, when the first screen's rows appear: a MutationObserver installed before the page's own scripts,
 * so the time is the render's and not when the bench's polling noticed it. Page code as text: this project's
 * TypeScript has no DOM types outside ui/.
 */
const WATCH_ROWS = `
new MutationObserver((_, obs) => {
  if (document.querySelectorAll('[data-testid=anomaly-row]').length < ${SHOWN}) return;
  window.rowsShownAt = performance.now();
  obs.disconnect();
}).observe(document, { childList: true, subtree: true });`;

/** The page's own timings: the document, each resource (hashes and query strings dropped), the rows. */
const WATERFALL = `(() => {
  const out = {};
  const nav = performance.getEntriesByType('navigation')[0];
  out.document = { start: nav.requestStart, end: nav.responseEnd };
  for (const r of performance.getEntriesByType('resource')) {
    const name = new URL(r.name).pathname.replace(/-[A-Za-z0-9_-]{8}\\./, '.');
    // The first request of a name: the list polls again later, the first screen is the first one.
    if (!(name in out)) out[name] = { start: r.startTime, end: r.responseEnd };
  }
  const shown = window.rowsShownAt ?? NaN;
  out.rows = { start: shown, end: shown };
  out.origin = { start: performance.timeOrigin, end: performance.timeOrigin };
  return out;
})()`;

/** Medians per step over the runs, in the order the steps start. */
function medianWaterfall(runs: Waterfall[]): string {
  const names = [...new Set(runs.flatMap((w) => Object.keys(w)))];
  const at = (n: string, k: 'start' | 'end') =>
    median(runs.map((w) => w[n]?.[k] ?? NaN).filter((x) => Number.isFinite(x)));
  return names
    .map((n) => ({ n, start: at(n, 'start'), end: at(n, 'end') }))
    .sort((a, b) => a.start - b.start)
    .map(({ n, start, end }) =>
      n === 'rows' ? `rows ${start.toFixed(0)}` : `${n} ${start.toFixed(0)}-${end.toFixed(0)}`,
    )
    .join(', ');
}

export async function runUiBench(opts: { count?: number; runs?: number; log?: (l: string) => void } = {}) {
  const count = opts.count ?? 100_000;
  const runs = opts.runs ?? 5;
  const redis = await startRedis({ appendonly: false });
  const client = new Redis(redis.url);
  const ui = await buildUi();
  const browser = await launchChromium();
  try {
    const store = new AnomalyStore(client);
    const t0 = Date.now() - count * 100;
    for (let i = 0; i < count; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, count - i) }, (_, k) => store.put(anomaly(i + k, t0))),
      );
      if (i % 20_000 === 0) opts.log?.(`stored ${i} anomalies`);
    }
    const app = await buildApi(
      {
        health: async () => ({ redis: true, models: true, workers: true }),
        metrics: async () => '',
        apiKeys: new Map(),
        anomalies: store,
      },
      { rateLimit: false, uiDir: ui.dir },
    );
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const times: number[] = [];
    const falls: Waterfall[] = [];
    for (let r = 0; r < runs; r++) {
      // A fresh page each run: nothing cached, as a first visit.
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript({ content: WATCH_ROWS });
      const start = performance.now();
      const startEpoch = Date.now();
      await page.goto(base + '/');
      await page
        .getByTestId('anomaly-row')
        .nth(SHOWN - 1)
        .waitFor();
      times.push(performance.now() - start);
      const fall = await page.evaluate<Waterfall>(WATERFALL);
      // What the browser spends before the page's clock starts (goto to navigation start).
      const before = fall.origin.start - startEpoch;
      delete fall.origin;
      falls.push({ ...fall, 'before navigation': { start: -before, end: 0 } });
      await context.close();
    }
    // The list request alone, as the first screen makes it: what the server adds to the page's time.
    const api: number[] = [];
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      const res = await fetch(`${base}/v1/anomalies?limit=100`);
      await res.json();
      api.push(performance.now() - start);
    }
    await app.close();
    const size = assetSizes(ui.dir);
    return {
      anomalies: count,
      'first screen ms': `${median(times).toFixed(0)} (median of ${runs}; ${times.map((t) => t.toFixed(0)).join(', ')}): ${SHOWN} ranked rows shown`,
      'waterfall ms': `${medianWaterfall(falls)} (medians, from navigation start)`,
      'list request ms': `${median(api).toFixed(0)} (GET /v1/anomalies?limit=100, median of ${runs})`,
      assets: `${(size.bytes / 1024).toFixed(1)} KiB, ${(size.gzip / 1024).toFixed(1)} KiB gzipped`,
    };
  } finally {
    await browser.close();
    client.disconnect();
    await redis.close();
    ui.remove();
  }
}
