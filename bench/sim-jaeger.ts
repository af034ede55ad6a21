/**
 * The simulator behind the Jaeger v1 query API, for the service bench: the same stream and search rules as
 * `tracehound sim serve`, but each trace is serialized once and kept, so the source's own cost stays small
 * beside the service's on a shared machine (a real Jaeger runs elsewhere). It also notes when each trace
 * became queryable, for the delay from source to webhook.
 */
import { createServer, type Server } from 'node:http';
import { toJaegerTrace } from '../src/formats/write/jaeger-v1.js';
import { LiveSim, type Scenario } from '../src/sim/index.js';
import { findTraces, services } from '../src/sim/trace-search.js';

const COMMA = Buffer.from(',');

export class BenchJaeger {
  readonly live: LiveSim;
  /** Trace id -> when it became queryable (epoch ms). */
  readonly published = new Map<string, number>();
  readonly spanCount = new Map<string, number>();
  /** Trace id -> its start, µs (kept after the stream evicts the trace). */
  readonly startUs = new Map<string, number>();
  requests = 0;
  /** Traces sent in search answers, counting every repeat, and the bytes of those answers. */
  tracesSent = 0;
  bytesSent = 0;
  /** Trace id -> how many search answers carried it (the load the source pays per trace). */
  readonly sends = new Map<string, number>();
  firstSearchAt = 0;
  private readonly json = new Map<string, Buffer>();
  private server?: Server;
  private timer?: NodeJS.Timeout;
  url = '';

  /** Trace id -> when a late trace becomes queryable (epoch ms); hidden from searches until then. */
  private readonly hiddenUntil = new Map<string, number>();

  constructor(
    scenario: Scenario,
    opts: {
      seed: number;
      backfillS: number;
      maxTraces: number;
      /**
       * A share of the traces stored this many seconds after they end (a slow collector or storage): the
       * lateness the pollers' overlap is for. Chosen by trace id, so the same in every run.
       */
      late?: { share: number; delayS: number };
    },
  ) {
    this.live = new LiveSim(scenario, {
      seed: opts.seed,
      now: () => Date.now() * 1000,
      backfillS: opts.backfillS,
      maxTraces: opts.maxTraces,
    });
    this.live.onPublish = (ready) => {
      const at = Date.now();
      const late = opts.late;
      for (const t of ready) {
        const isLate = late !== undefined && parseInt(t.traceId.slice(-4), 16) / 65536 < late.share;
        if (isLate) this.hiddenUntil.set(t.traceId, at + late.delayS * 1000);
        this.published.set(t.traceId, isLate ? at + late.delayS * 1000 : at);
        this.spanCount.set(t.traceId, t.spans.length);
        this.startUs.set(t.traceId, t.start);
      }
    };
  }

  private traceJson(t: LiveSim['traces'][number]): Buffer {
    let j = this.json.get(t.traceId);
    if (j === undefined) this.json.set(t.traceId, (j = Buffer.from(JSON.stringify(toJaegerTrace(t.spans)))));
    return j;
  }

  async start(): Promise<void> {
    this.live.advance();
    this.timer = setInterval(() => this.live.advance(), 100);
    this.server = createServer((req, res) => {
      this.requests++;
      this.live.advance();
      const u = new URL(req.url ?? '/', 'http://x');
      const send = (code: number, body: string) =>
        res.writeHead(code, { 'content-type': 'application/json' }).end(body);
      if (u.pathname === '/api/services')
        return send(200, JSON.stringify({ data: services(this.live), errors: null }));
      if (u.pathname !== '/api/traces')
        return send(404, '{"data":null,"errors":[{"code":404,"msg":"not found"}]}');
      this.firstSearchAt ||= Date.now();
      const q = u.searchParams;
      const found = findTraces(
        this.live,
        {
          service: q.get('service') ?? undefined,
          startMin: Number(q.get('start')),
          startMax: Number(q.get('end')),
        },
        Number(q.get('limit') ?? 100),
      ).filter((t) => (this.hiddenUntil.get(t.traceId) ?? 0) <= Date.now());
      // Written as the stored bytes, never joined into one string: the source's own cost stays small.
      const parts: Buffer[] = [Buffer.from('{"data":[')];
      found.forEach((t, i) => {
        if (i > 0) parts.push(COMMA);
        parts.push(this.traceJson(t));
        this.sends.set(t.traceId, (this.sends.get(t.traceId) ?? 0) + 1);
      });
      parts.push(Buffer.from(`],"total":${found.length},"limit":0,"offset":0,"errors":null}`));
      const length = parts.reduce((a, b) => a + b.length, 0);
      this.tracesSent += found.length;
      this.bytesSent += length;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
      res.cork();
      for (const p of parts) res.write(p);
      res.uncork();
      res.end();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }

  /** Drops serialized traces the stream has evicted, so memory stays bounded. */
  trim(): void {
    for (const id of this.json.keys()) if (!this.live.byId.has(id)) this.json.delete(id);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
