import type { LookupAddress } from 'node:dns';
import { Agent, request } from 'undici';
import { assertPublicAddresses, checkWebhookUrl, resolveAll, type ResolveAll } from './url-guard.js';

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  resolve?: ResolveAll;
}

export interface SendResult {
  /** HTTP status, or 0 when there was no response (network error, timeout, refused URL). */
  status: number;
  ms: number;
  error?: string;
  /** From Retry-After on a 429/503, in ms. */
  retryAfterMs?: number;
  /** The URL itself was refused (SSRF guard), so retrying cannot help until it is changed. */
  refused?: boolean;
}

/** Retry-After is either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A socket-level lookup that re-checks every address as the connection is made, so a hostname that
 * rebinds to a private address between the pre-check and connect is still refused.
 */
function guardedLookup(allowPrivate: boolean, resolve: ResolveAll) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    resolve(hostname).then(
      (addrs) => {
        try {
          assertPublicAddresses(
            `(connect to ${hostname})`,
            hostname,
            addrs.map((a) => a.address),
            allowPrivate,
          );
        } catch (err) {
          callback(err as NodeJS.ErrnoException, '');
          return;
        }
        if (options.all) callback(null, addrs);
        else callback(null, addrs[0].address, addrs[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

const agents = new Map<ResolveAll, Map<boolean, Agent>>();

/** One keep-alive agent per (resolver, allowPrivate), shared by every delivery. */
function agentFor(allowPrivate: boolean, resolve: ResolveAll = resolveAll): Agent {
  let byMode = agents.get(resolve);
  if (!byMode) agents.set(resolve, (byMode = new Map()));
  let agent = byMode.get(allowPrivate);
  if (!agent) {
    agent = new Agent({ connect: { lookup: guardedLookup(allowPrivate, resolve) } });
    byMode.set(allowPrivate, agent);
  }
  return agent;
}

const ERROR_BODY_MAX = 300;

/** One POST: checks the URL again (DNS rebinding), never follows redirects, and never throws. */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: SendOptions,
): Promise<SendResult> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  try {
    await checkWebhookUrl(url, { allowPrivate: opts.allowPrivate, resolve: opts.resolve });
  } catch (err) {
    return { status: 0, ms: ms(), error: (err as Error).message, refused: true };
  }
  try {
    const res = await request(url, {
      method: 'POST',
      headers,
      body,
      dispatcher: agentFor(opts.allowPrivate, opts.resolve),
      signal: AbortSignal.timeout(opts.timeoutMs),
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      await res.body.dump();
      return { status, ms: ms() };
    }
    const text = (await res.body.text().catch(() => '')).slice(0, ERROR_BODY_MAX).trim();
    const out: SendResult = { status, ms: ms(), error: `HTTP ${status}${text ? `: ${text}` : ''}` };
    if (status === 429 || status === 503)
      out.retryAfterMs = parseRetryAfter(res.headers['retry-after'], Date.now());
    if (status >= 300 && status < 400) out.error += ' (redirects are not followed)';
    return out;
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(e.message);
    return { status: 0, ms: ms(), error: timedOut ? `timed out after ${opts.timeoutMs} ms` : e.message };
  }
}

/** Closes the shared keep-alive agents (on shutdown). */
export async function closeWebhookAgents(): Promise<void> {
  const all = [...agents.values()].flatMap((m) => [...m.values()]);
  agents.clear();
  await Promise.all(all.map((a) => a.close()));
}
