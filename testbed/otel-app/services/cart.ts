/**
 * cart: shopping carts (Express, OTLP/HTTP JSON) kept in a cache; its reads and writes show as cache client
 * spans, where an `errors` fault makes them fail. Called by frontend and checkout.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { FaultSwitch, tracer, work } from './kit.js';
import { expressApp, listenExpress } from './express-kit.js';

const faults = new FaultSwitch('cart');
type Item = { productId: string; quantity: number };
const carts = new Map<string, Item[]>();

/** A cart a user has not touched yet holds 1-3 items that depend only on the user id. */
function initial(user: string): Item[] {
  let h = 0;
  for (const c of user) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return Array.from({ length: 1 + (h % 3) }, (_, i) => ({
    productId: `p${1 + ((h >> (i * 4)) % 40)}`,
    quantity: 1 + i,
  }));
}

/** One cache command, as a Redis client instrumentation would show it. */
function cache<T>(command: string, user: string, fn: () => T): Promise<T> {
  return tracer.startActiveSpan(
    command,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'redis', 'db.query.text': `${command} cart:${user}` },
    },
    async (span) => {
      try {
        await work(1);
        faults.maybeFail(`${command} cart:${user}`);
        return fn();
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

const app = expressApp(faults);

app.get('/carts/:user', async (req, res) => {
  const user = req.params.user;
  res.json({ user, items: await cache('GET', user, () => carts.get(user) ?? initial(user)) });
});

app.post('/carts/:user/items', async (req, res) => {
  const user = req.params.user;
  const item = req.body as Item;
  const items = await cache('GET', user, () => carts.get(user) ?? initial(user));
  await cache('SET', user, () => carts.set(user, [...items, item].slice(-5)));
  res.status(201).json({ user, items: items.length + 1 });
});

app.delete('/carts/:user', async (req, res) => {
  await cache('DEL', req.params.user, () => carts.delete(req.params.user));
  res.status(204).end();
});

listenExpress(app, faults);
