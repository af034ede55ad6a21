/** A local webhook receiver for delivery tests: scripted replies per path, every hit recorded. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}
export type Reply = { status: number; headers?: Record<string, string>; delayMs?: number };

/** A receiver on 127.0.0.1: each path has a script of replies (the last one repeats) and records its hits. */
export class Receiver {
  server!: Server;
  hits = new Map<string, Hit[]>();
  scripts = new Map<string, Reply[]>();
  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '/';
        const list = this.hits.get(path) ?? [];
        list.push({ at: Date.now(), headers: req.headers, body });
        this.hits.set(path, list);
        const script = this.scripts.get(path) ?? [{ status: 200 }];
        const reply = script[Math.min(list.length - 1, script.length - 1)];
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
}

export async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 8000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
