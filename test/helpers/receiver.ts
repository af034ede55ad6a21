/** A local webhook receiver: scripted replies per path (or one answer for all), every request recorded. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The webhook-id header: one per delivery, repeated by its retries. */
  deliveryId: string;
  /** What the receiver answered. */
  status: number;
}
export type Reply = { status: number; headers?: Record<string, string>; delayMs?: number };

/**
 * A receiver on 127.0.0.1: each path has a script of replies (the last one repeats; 200 without one), or
 * `answer` decides every reply as the request arrives. Records each request, per path and in order.
 */
export class Receiver {
  server!: Server;
  /** Every request in the order it arrived. */
  readonly log: Hit[] = [];
  hits = new Map<string, Hit[]>();
  scripts = new Map<string, Reply[]>();
  answer?: (hit: Hit) => Reply;

  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '/';
        const list = this.hits.get(path) ?? [];
        const hit: Hit = {
          at: Date.now(),
          path,
          headers: req.headers,
          body,
          deliveryId: String(req.headers['webhook-id'] ?? ''),
          status: 0,
        };
        list.push(hit);
        this.hits.set(path, list);
        this.log.push(hit);
        const script = this.scripts.get(path) ?? [{ status: 200 }];
        const reply = this.answer?.(hit) ?? script[Math.min(list.length - 1, script.length - 1)];
        hit.status = reply.status;
        setTimeout(() => {
          res.writeHead(reply.status, reply.headers);
          res.end(reply.status >= 400 ? 'nope' : 'ok');
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
  }

  url(path: string, ...script: Reply[]) {
    if (script.length) this.scripts.set(path, script);
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  count(path: string) {
    return this.hits.get(path)?.length ?? 0;
  }

  /** Trace ids of the anomaly.detected events answered with a 2xx at least once. */
  deliveredTraces(): Set<string> {
    const out = new Set<string>();
    for (const h of this.log) {
      if (h.status >= 300) continue;
      try {
        const traceId = (JSON.parse(h.body) as { data?: { traceId?: string } }).data?.traceId;
        if (traceId) out.add(traceId);
      } catch {
        // not an event: nothing delivered
      }
    }
    return out;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
