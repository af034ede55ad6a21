/**
 * The load generator: Poisson arrivals over the frontend's four pages, at a rate that drifts ±25% over
 * 100 s, with users, products and currencies drawn at random, as shoppers do. Every request is recorded.
 */
import http from 'node:http';

export interface RequestRecord {
  page: string;
  /** Wall-clock ms. */
  start: number;
  ms: number;
  /** HTTP status, 0 when the request failed without one. */
  status: number;
}

const CURRENCIES = ['USD', 'USD', 'USD', 'EUR', 'EUR', 'GBP', 'JPY', 'CHF'];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const user = () => `u${1 + Math.floor(Math.random() * 200)}`;

/** The pages with their share of the traffic. */
const PAGES: {
  page: string;
  share: number;
  request: () => { method: string; path: string; body?: string };
}[] = [
  {
    page: 'GET /',
    share: 0.4,
    request: () => ({ method: 'GET', path: `/?user=${user()}&currency=${pick(CURRENCIES)}` }),
  },
  {
    page: 'GET /product/:id',
    share: 0.25,
    request: () => ({
      method: 'GET',
      path: `/product/p${1 + Math.floor(Math.random() * 40)}?currency=${pick(CURRENCIES)}`,
    }),
  },
  {
    page: 'GET /cart',
    share: 0.15,
    request: () => ({ method: 'GET', path: `/cart?user=${user()}&currency=${pick(CURRENCIES)}` }),
  },
  {
    page: 'POST /checkout',
    share: 0.2,
    request: () => ({
      method: 'POST',
      path: '/checkout',
      body: JSON.stringify({ user: user(), currency: pick(CURRENCIES) }),
    }),
  },
];

/** The frontend's pages the load uses: the app's entry endpoints. */
export const ENTRY_PAGES = PAGES.map((p) => p.page);

export class LoadGenerator {
  readonly records: RequestRecord[] = [];
  private timer?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private t0 = 0;

  constructor(
    private readonly baseUrl: string,
    /** Mean requests per second. */
    private readonly rate: number,
  ) {}

  start(): void {
    this.t0 = Date.now();
    this.next();
  }

  private next(): void {
    const t = (Date.now() - this.t0) / 1000;
    const rate = this.rate * (1 + 0.25 * Math.sin((2 * Math.PI * t) / 100));
    this.timer = setTimeout(
      () => {
        this.fire();
        this.next();
      },
      (-Math.log(1 - Math.random()) / rate) * 1000,
    );
  }

  private fire(): void {
    let u = Math.random();
    const page = PAGES.find((p) => (u -= p.share) < 0) ?? PAGES[0];
    const { method, path, body } = page.request();
    const start = Date.now();
    const done = new Promise<void>((resolve) => {
      const finish = (status: number) => {
        this.records.push({ page: page.page, start, ms: Date.now() - start, status });
        resolve();
      };
      const req = http.request(
        `${this.baseUrl}${path}`,
        {
          method,
          agent: this.agent,
          timeout: 10_000,
          headers: body ? { 'content-type': 'application/json' } : {},
        },
        (res) => {
          res.resume();
          res.on('end', () => finish(res.statusCode ?? 0));
          res.on('error', () => finish(0));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', () => finish(0));
      req.end(body);
    });
    this.inFlight.add(done);
    void done.then(() => this.inFlight.delete(done));
  }

  /** Stops sending and waits for the requests still in flight. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await Promise.all(this.inFlight);
    this.agent.destroy();
  }
}
