/**
 * What the testbed's services share: calling another service over HTTP (instrumented by
 * @opentelemetry/instrumentation-http like any `http.request`), simulated work, and the fault switch with
 * its admin routes. Written by hand because it is the app under test, not a library: a real app has its
 * own versions of these.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import { FaultSchema, type Fault, type FaultKind, type Injected } from '../faults.js';
import { StallWatch } from './stall-watch.js';

export const tracer = trace.getTracer('otel-app', '1.0.0');

/** An upstream answered with a server error, or could not be reached. */
export class UpstreamError extends Error {}

/** A failure of this service itself (HTTP 500). */
export class ServerError extends Error {}

/**
 * What app code does with an error it answers: records it on the span, and picks the status (500 for this
 * service's own failure, 502 for an upstream's).
 */
function failed(span: ReturnType<typeof trace.getActiveSpan>, err: Error): number {
  // In Express's error handler the active span can be a middleware span that already ended.
  if (span?.isRecording()) {
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  }
  return err instanceof UpstreamError ? 502 : 500;
}

/** Answers a request to a plain `http` server from `fn`; an error as `failed` says. */
export function handle(res: http.ServerResponse, fn: () => Promise<[number, unknown]>): void {
  const span = trace.getActiveSpan();
  fn().then(
    ([status, body]) => send(res, status, body),
    (err: Error) => send(res, failed(span, err), { error: err.message }),
  );
}

/** Express's error handler in the Express services: the same answers as `handle`. */
export const errorMiddleware: ErrorRequestHandler = (err: Error, _req, res, _next) => {
  res.status(failed(trace.getActiveSpan(), err)).json({ error: err.message });
};

/**
 * A JSON call to another service. Sends `x-request-start` (the time it left, as proxies do) so that the
 * callee can tell how long the request queued before its event loop got to it.
 */
export function call<T = unknown>(
  baseUrl: string,
  path: string,
  opts: { method?: string; body?: unknown } = {},
): Promise<T> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise<T>((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${path}`,
      {
        method: opts.method ?? 'GET',
        headers: {
          'content-type': 'application/json',
          'x-request-start': `t=${Date.now()}`,
          ...(body ? { 'content-length': Buffer.byteLength(body) } : {}),
        },
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 500) reject(new UpstreamError(`${path}: HTTP ${status} ${text.slice(0, 200)}`));
          else resolve((text ? JSON.parse(text) : undefined) as T);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new UpstreamError(`${path}: timed out`)));
    req.on('error', (err) =>
      reject(err instanceof UpstreamError ? err : new UpstreamError(`${path}: ${err.message}`)),
    );
    req.end(body);
  });
}

/** A log-normal around `medianMs` (spread ~30%): service times vary the way measured ones do. */
function jitter(medianMs: number, sigma = 0.3): number {
  const u = 1 - Math.random();
  const v = Math.random();
  return medianMs * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/** Asynchronous work (a query, a cache read): time passes, the event loop stays free. */
export async function work(medianMs: number): Promise<void> {
  await sleep(jitter(medianMs));
}

/** Milliseconds a request waited between leaving its caller and reaching this handler. */
export function queuedMs(headers: http.IncomingHttpHeaders): number {
  const m = /^t=(\d+)$/.exec(String(headers['x-request-start'] ?? ''));
  return m ? Date.now() - Number(m[1]) : 0;
}

/** A request that waited this long while the hog ran was delayed by it (a free loop answers within 1-2 ms). */
const HOG_DELAY_MS = 20;

/**
 * The fault switch of one service: the active fault, what it did to which trace (the ground truth the
 * harness reads), and the CPU hog's loop.
 */
export class FaultSwitch {
  private fault: Fault = { kind: 'none' };
  private readonly log: Injected[] = [];
  private hogTimer?: NodeJS.Timeout;
  private readonly stalls: StallWatch;

  constructor(readonly service: string) {
    this.stalls = new StallWatch(service, () => this.fault.kind === 'hog');
  }

  set(f: Fault): void {
    this.fault = f;
    if (this.hogTimer) clearTimeout(this.hogTimer);
    this.hogTimer = undefined;
    if (f.kind === 'hog') this.spin(f.busyMs, f.idleMs);
  }

  /** Busy-waits on the event loop: nothing else in this process runs meanwhile, as in a real CPU hog. */
  private spin(busyMs: number, idleMs: number): void {
    const end = Date.now() + busyMs;
    while (Date.now() < end) {
      // spin
    }
    this.hogTimer = setTimeout(() => this.spin(busyMs, idleMs), idleMs);
  }

  /** Notes that the active fault changed the current trace. */
  private record(kind: FaultKind): void {
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    if (traceId) this.log.push({ traceId, service: this.service, kind, at: Date.now() });
  }

  /**
   * What every handler does first: notes that the request queued behind the hog, and waits out an added
   * latency (the service's own time grows, as when its host or a lock is slow).
   */
  async enter(headers: http.IncomingHttpHeaders): Promise<void> {
    if (this.fault.kind === 'hog' && queuedMs(headers) >= HOG_DELAY_MS) this.record('hog');
    if (this.fault.kind === 'latency') {
      this.record('latency');
      await sleep(this.fault.ms);
    }
  }

  /** Throws a server error into this request (its share of requests) under an `errors` fault. */
  maybeFail(what: string): void {
    if (this.fault.kind !== 'errors' || Math.random() >= this.fault.rate) return;
    this.record('errors');
    throw new ServerError(`${this.service}: ${what} failed`);
  }

  /**
   * The admin routes (`/admin/...`, not traced): POST /admin/fault with a Fault, GET /admin/injected,
   * GET /admin/stalls.
   * Returns false when the request is not an admin one.
   */
  admin(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!path.startsWith('/admin/')) return false;
    if (req.method === 'GET' && path === '/admin/injected') send(res, 200, this.log);
    else if (req.method === 'GET' && path === '/admin/stalls') send(res, 200, this.stalls.list());
    else if (req.method === 'POST' && path === '/admin/fault')
      readJson(req).then(
        (json) => {
          const parsed = FaultSchema.safeParse(json);
          if (!parsed.success)
            return send(res, 400, { error: `POST ${path}: ${z.prettifyError(parsed.error)}` });
          this.set(parsed.data);
          send(res, 200, parsed.data);
        },
        (err: Error) => send(res, 400, { error: err.message }),
      );
    else send(res, 404, { error: `${req.method} ${path}: no such admin route` });
    return true;
  }
}

/** The JSON body of a request to a plain `http` server (Express services use express.json()). */
export function readJson<T>(req: http.IncomingMessage): Promise<T> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(text || '{}') as T);
      } catch {
        reject(new Error(`${req.method} ${req.url}: the body is not JSON`));
      }
    });
    req.on('error', reject);
  });
}

export function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The port a service listens on, from PORT. */
export function portFromEnv(): number {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT: "${process.env.PORT}" is not a port`);
  return port;
}

/** An upstream's base URL from its environment variable (e.g. CART_URL). */
export function upstream(name: string): string {
  const url = process.env[name];
  if (!url) throw new Error(`${name} is not set: the base URL of an upstream service`);
  return url;
}

/** Listens on PORT and says so on stdout ("ready <port>"), which the launcher waits for. */
export function listen(server: http.Server): void {
  const port = portFromEnv();
  server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${port}\n`));
}
