import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { blockedAddressReason } from './ip-ranges.js';

/** Resolves a hostname to every address it has (node:dns/promises lookup with `all: true`). */
export type ResolveAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const resolveAll: ResolveAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface UrlGuardOptions {
  /** Let webhooks reach private, loopback and link-local addresses (TRACEHOUND_WEBHOOK_ALLOW_PRIVATE). */
  allowPrivate?: boolean;
  /** Replaces DNS in tests. */
  resolve?: ResolveAll;
}

/** A webhook URL that may not be used, with the reason in the message. */
export class WebhookUrlError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`webhook URL ${url} refused: ${reason}`);
    this.name = 'WebhookUrlError';
  }
}

/** Throws WebhookUrlError unless every address in `addresses` is public (or private ones are allowed). */
export function assertPublicAddresses(
  url: string,
  hostname: string,
  addresses: string[],
  allowPrivate: boolean,
) {
  if (addresses.length === 0) throw new WebhookUrlError(url, `${hostname} resolves to no address`);
  if (allowPrivate) return;
  for (const address of addresses) {
    const why = blockedAddressReason(address);
    if (why) {
      const via = address === hostname ? '' : `${hostname} resolves to ${address}, which is `;
      throw new WebhookUrlError(
        url,
        `${via || `${address} is `}${why}; set TRACEHOUND_WEBHOOK_ALLOW_PRIVATE=true to allow private targets`,
      );
    }
  }
}

/**
 * Checks a webhook target: http(s) only, and unless private targets are allowed, every address the host
 * resolves to must be public. Run at creation and again before each delivery (DNS can change in between).
 */
export async function checkWebhookUrl(
  raw: string,
  opts: UrlGuardOptions = {},
): Promise<{ url: URL; addresses: string[] }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError(raw, 'not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebhookUrlError(
      raw,
      `scheme ${url.protocol.replace(/:$/, '')} is not allowed (use http or https)`,
    );
  }
  // WHATWG URL already turned forms like 0x7f.1 or 2130706433 into dotted IPv4, and IPv6 into [..].
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (hostname === '') throw new WebhookUrlError(raw, 'no host');
  let addresses: string[];
  if (isIP(hostname)) {
    addresses = [hostname];
  } else {
    try {
      addresses = (await (opts.resolve ?? resolveAll)(hostname)).map((a) => a.address);
    } catch (err) {
      throw new WebhookUrlError(raw, `cannot resolve ${hostname}: ${(err as Error).message}`);
    }
  }
  assertPublicAddresses(raw, hostname, addresses, opts.allowPrivate === true);
  return { url, addresses };
}
