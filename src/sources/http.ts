/**
 * The one place that talks HTTP to a backend: TLS options, auth headers, a timeout, gzip, a size cap, and
 * errors that name the URL (never its credentials) and the status. Uses undici's own Agent and request
 * (undici 7 is a dependency): global fetch cannot take TLS options, and a dispatcher from a different undici
 * than the one inside Node is not guaranteed to work with it.
 */
import { gunzipSync } from 'node:zlib';
import { Agent } from 'undici';
import type { SourceOptions } from './source.js';

export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    message: string,
    /** The URL without credentials. */
    readonly url: string,
    /** HTTP status; undefined when no response came (refused, timeout, TLS). */
    readonly status?: number,
    /** Worth retrying later: no answer, 5xx, 408 or 429. A 4xx means our request is wrong. */
    readonly retryable = true,
  ) {
    super(message);
  }
}

export interface HttpResponse {
  status: number;
  contentType: string;
  body: Buffer;
  /** The request URL without credentials, for messages. */
  url: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

/** Drops userinfo from a URL so it can go in logs and errors. */
export function redactUrl(url: string | URL): string {
  const u = new URL(String(url));
  u.username = '';
  u.password = '';
  return u.toString();
}

export class HttpClient {
  readonly base: URL;
  private readonly agent: Agent;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(
    opts: Pick<SourceOptions, 'baseUrl' | 'headers' | 'tls' | 'timeoutMs'>,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
  ) {
    const base = new URL(opts.baseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new Error(`source URL ${redactUrl(base)}: only http and https are supported`);
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip' };
    if (base.username || base.password) {
      // Credentials in the URL become basic auth: they must not travel in, or be logged with, the URL.
      const user = decodeURIComponent(base.username);
      const pass = decodeURIComponent(base.password);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      base.username = '';
      base.password = '';
    }
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    this.headers = headers;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const tls = opts.tls ?? {};
    this.agent = new Agent({
      connect: {
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
      },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** The URL of `path` (relative to the base, which may carry a path prefix) with query parameters. */
  url(path: string, query: Record<string, string | number | undefined> = {}): URL {
    const u = new URL(path.replace(/^\/+/, ''), this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** GET; resolves for every HTTP status (callers decide what a 404 means), rejects when no answer came. */
  async get(url: URL): Promise<HttpResponse> {
    const shown = url.toString();
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res;
    try {
      res = await this.agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers: this.headers,
        signal,
      });
    } catch (err) {
      throw this.failure(shown, err, signal);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > this.maxBytes) {
          res.body.destroy();
          throw new SourceError(
            `GET ${shown}: response larger than ${this.maxBytes} bytes; lower the search limit`,
            shown,
            res.statusCode,
            false,
          );
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof SourceError) throw err;
      throw this.failure(shown, err, signal);
    }
    let body = Buffer.concat(chunks);
    const encoding = String(res.headers['content-encoding'] ?? '');
    if (encoding.includes('gzip') && body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
    const contentType = String(res.headers['content-type'] ?? '');
    return { status: res.statusCode, contentType, body, url: shown };
  }

  /** A SourceError for a non-success answer, with the server's message when it sent one. */
  statusError(res: HttpResponse, message?: string): SourceError {
    const detail = message ?? (res.body.toString('utf8', 0, Math.min(res.body.length, 300)).trim() || '');
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    return new SourceError(
      `GET ${res.url}: HTTP ${res.status}${detail ? `: ${detail}` : ''}`,
      res.url,
      res.status,
      retryable,
    );
  }

  private failure(url: string, err: unknown, signal: AbortSignal): SourceError {
    if (signal.aborted) return new SourceError(`GET ${url}: no answer within ${this.timeoutMs} ms`, url);
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    const code = e.code ?? e.cause?.code;
    return new SourceError(`GET ${url}: ${code ? `${code}: ` : ''}${e.message}`, url);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Parses a JSON body, saying where it came from when it is not JSON. */
export function jsonBody(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch (err) {
    throw new SourceError(
      `GET ${res.url}: HTTP ${res.status} answer is not JSON (${(err as Error).message}; content-type ${res.contentType || 'none'})`,
      res.url,
      res.status,
      false,
    );
  }
}
