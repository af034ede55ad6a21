/** shipping: quotes and shipments (Express, Zipkin exporter). Called by frontend and checkout. */
import { FaultSwitch, work } from './kit.js';
import { expressApp, listenExpress } from './express-kit.js';

const faults = new FaultSwitch('shipping');
const app = expressApp(faults);

app.get('/quotes', async (req, res) => {
  const items = Math.max(1, Number(req.query.items ?? 1));
  await work(3);
  faults.maybeFail('quote');
  res.json({ costUsd: 4.99 + items * 1.5, days: 2 + (items % 3) });
});

app.post('/shipments', async (req, res) => {
  await work(5);
  faults.maybeFail('shipment');
  res.status(201).json({ trackingId: `trk-${Date.now().toString(36)}`, items: req.body?.items ?? 0 });
});

listenExpress(app, faults);
