/**
 * frontend: the entry service (Express, OTLP/HTTP protobuf). The home page fans out in parallel to catalog,
 * currency and cart; a product page calls catalog, then currency and shipping; the cart page cart then
 * currency; checkout hands over to checkout. The home page shows without the cart badge when cart fails
 * (a skipped call); the other pages fail with it.
 */
import type { Request } from 'express';
import { FaultSwitch, call, upstream, work } from './kit.js';
import { expressApp, listenExpress } from './express-kit.js';

const faults = new FaultSwitch('frontend');
const CATALOG = upstream('CATALOG_URL');
const CURRENCY = upstream('CURRENCY_URL');
const CART = upstream('CART_URL');
const SHIPPING = upstream('SHIPPING_URL');
const CHECKOUT = upstream('CHECKOUT_URL');

type Product = { id: string; priceUsd: number };
type Cart = { items: { productId: string; quantity: number }[] };
const convert = (amounts: number[], to: string) =>
  call<{ amounts: number[] }>(CURRENCY, '/convert', { method: 'POST', body: { amounts, to } });
const currencyOf = (req: Request) => String(req.query.currency ?? 'USD');

const app = expressApp(faults);

app.get('/', async (req, res) => {
  const user = String(req.query.user ?? 'guest');
  const [products, badge] = await Promise.all([
    call<Product[]>(CATALOG, '/products?limit=8'),
    call<Cart>(CART, `/carts/${user}`).then(
      (c) => c.items.length,
      () => undefined,
    ),
  ]);
  const prices = await convert(
    products.map((p) => p.priceUsd),
    currencyOf(req),
  );
  await work(2);
  faults.maybeFail('home page');
  res.json({ products: products.length, prices: prices.amounts, cartItems: badge });
});

app.get('/product/:id', async (req, res) => {
  const product = await call<Product>(CATALOG, `/products/${req.params.id}`);
  const [price, quote] = await Promise.all([
    convert([product.priceUsd], currencyOf(req)),
    call<{ costUsd: number }>(SHIPPING, '/quotes?items=1'),
  ]);
  await work(1.5);
  faults.maybeFail('product page');
  res.json({ id: product.id, price: price.amounts[0], shippingUsd: quote.costUsd });
});

app.get('/cart', async (req, res) => {
  const cart = await call<Cart>(CART, `/carts/${String(req.query.user ?? 'guest')}`);
  const prices = await convert(
    cart.items.map((i) => i.quantity * 10),
    currencyOf(req),
  );
  await work(1);
  faults.maybeFail('cart page');
  res.json({ items: cart.items.length, prices: prices.amounts });
});

app.post('/checkout', async (req, res) => {
  const order = await call(CHECKOUT, '/orders', { method: 'POST', body: req.body });
  faults.maybeFail('checkout page');
  res.status(201).json(order);
});

listenExpress(app, faults);
