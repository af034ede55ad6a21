/** currency: converts prices (plain node:http, OTLP/HTTP JSON). A leaf called by frontend and checkout. */
import http from 'node:http';
import { FaultSwitch, handle, listen, readJson, work } from './kit.js';

const faults = new FaultSwitch('currency');
const PER_USD: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79, JPY: 151.3, CHF: 0.88 };

const server = http.createServer((req, res) => {
  if (faults.admin(req, res)) return;
  handle(res, async () => {
    await faults.enter(req.headers);
    if (req.method !== 'POST' || req.url !== '/convert') return [404, { error: 'not found' }];
    const { amounts, to } = await readJson<{ amounts: number[]; to: string }>(req);
    await work(1.5);
    faults.maybeFail('conversion');
    const rate = PER_USD[to] ?? 1;
    return [200, { to, amounts: amounts.map((a) => Math.round(a * rate * 100) / 100) }];
  });
});
listen(server);
