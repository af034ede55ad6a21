/** catalog: the products (plain node:http, Zipkin exporter). Called by frontend and checkout. */
import http from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import { FaultSwitch, handle, listen, tracer, work } from './kit.js';

const faults = new FaultSwitch('catalog');
const PRODUCTS = Array.from({ length: 40 }, (_, i) => ({
  id: `p${i + 1}`,
  name: `product ${i + 1}`,
  priceUsd: 5 + ((i * 37) % 120),
}));

/** A database query, as a database client instrumentation would show it. */
function query<T>(statement: string, medianMs: number, result: () => T): Promise<T> {
  return tracer.startActiveSpan(
    statement.split(' ')[0],
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.query.text': statement } },
    async (span) => {
      await work(medianMs);
      span.end();
      return result();
    },
  );
}

const server = http.createServer((req, res) => {
  if (faults.admin(req, res)) return;
  handle(res, async () => {
    await faults.enter(req.headers);
    const url = new URL(req.url ?? '/', 'http://catalog');
    const one = /^\/products\/([\w-]+)$/.exec(url.pathname);
    await work(0.8);
    faults.maybeFail('product lookup');
    if (req.method === 'GET' && url.pathname === '/products') {
      const limit = Math.min(30, Number(url.searchParams.get('limit') ?? 10));
      const from = Math.floor(Math.random() * (PRODUCTS.length - limit));
      return [
        200,
        await query('SELECT * FROM products LIMIT $1 OFFSET $2', 4, () => PRODUCTS.slice(from, from + limit)),
      ];
    }
    if (req.method === 'GET' && one) {
      const p = await query('SELECT * FROM products WHERE id = $1', 2, () =>
        PRODUCTS.find((x) => x.id === one[1]),
      );
      return p ? [200, p] : [404, { error: `no product ${one[1]}` }];
    }
    return [404, { error: 'not found' }];
  });
});
listen(server);
