import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signing key. A `whsec_` secret carries its key in base64 after the prefix, as the spec
 * says; any other secret is used as its raw UTF-8 bytes, so a plain shared password works with receivers
 * that HMAC with the string they were given.
 */
export function signingKey(secret: string): Buffer {
  if (secret.startsWith('whsec_')) {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    if (key.length === 0) throw new Error('webhook secret "whsec_…" holds no base64 key after the prefix');
    return key;
  }
  return Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signPayload(secret: string, id: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${id}.${timestampS}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The Standard Webhooks headers; the signature only when there is a secret. */
export function standardWebhookHeaders(
  id: string,
  timestampS: number,
  body: string,
  secret: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestampS) };
  if (secret) headers['webhook-signature'] = signPayload(secret, id, timestampS, body);
  return headers;
}
