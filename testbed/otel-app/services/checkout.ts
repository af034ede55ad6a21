/**
 * checkout: places orders (Express, OTLP/HTTP protobuf) through a sequential chain: cart, catalog (one
 * call per item, in parallel), currency, payment, shipping, and cart again to empty it. Any failure fails
 * the order (HTTP 502), as a checkout must not half-complete.
 */
import { FaultSwitch, call, upstream, work } from './kit.js';
import { expressApp, listenExpress } from './express-kit.js';

const faults = new FaultSwitch('checkout');
const CART = upstream('CART_URL');
const CATALOG = upstream('CATALOG_URL');
const CURRENCY = upstream('CURRENCY_URL');
const PAYMENT = upstream('PAYMENT_URL');
const SHIPPING = upstream('SHIPPING_URL');

const app = expressApp(faults);

app.post('/orders', async (req, res) => {
  const { user, currency } = req.body as { user: string; currency: string };
  const cart = await call<{ items: { productId: string; quantity: number }[] }>(CART, `/carts/${user}`);
  const products = await Promise.all(
    cart.items.map((i) => call<{ priceUsd: number }>(CATALOG, `/products/${i.productId}`)),
  );
  const totalUsd = products.reduce((a, p, i) => a + p.priceUsd * cart.items[i].quantity, 0);
  const converted = await call<{ amounts: number[] }>(CURRENCY, '/convert', {
    method: 'POST',
    body: { amounts: [totalUsd], to: currency },
  });
  await work(1);
  faults.maybeFail('order');
  const charge = await call<{ chargeId: string }>(PAYMENT, '/charges', {
    method: 'POST',
    body: { amount: converted.amounts[0], currency },
  });
  const shipment = await call<{ trackingId: string }>(SHIPPING, '/shipments', {
    method: 'POST',
    body: { user, items: cart.items.length },
  });
  await call(CART, `/carts/${user}`, { method: 'DELETE' });
  res
    .status(201)
    .json({ chargeId: charge.chargeId, trackingId: shipment.trackingId, total: converted.amounts[0] });
});

listenExpress(app, faults);
