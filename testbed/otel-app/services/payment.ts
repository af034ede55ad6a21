/**
 * payment: charges cards (plain node:http, OTLP/HTTP protobuf) through an external card gateway that is not
 * instrumented, as a third-party API is not: its call shows as a client span with no server span under it.
 */
import http from 'node:http';
import { FaultSwitch, call, handle, listen, readJson, upstream, work } from './kit.js';

const faults = new FaultSwitch('payment');
const GATEWAY = upstream('GATEWAY_URL');

const server = http.createServer((req, res) => {
  if (faults.admin(req, res)) return;
  handle(res, async () => {
    await faults.enter(req.headers);
    if (req.method !== 'POST' || req.url !== '/charges') return [404, { error: 'not found' }];
    const charge = await readJson<{ amount: number; currency: string }>(req);
    await work(2);
    faults.maybeFail('charge');
    const auth = await call<{ approved: boolean }>(GATEWAY, '/v1/authorize', {
      method: 'POST',
      body: charge,
    });
    await work(1);
    return [201, { chargeId: `ch-${Date.now().toString(36)}`, approved: auth.approved }];
  });
});
listen(server);
