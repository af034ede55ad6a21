import type { Anomaly } from '../../src/store/anomaly-record.js';
import type { Incident } from '../../src/incidents/incident.js';
import type {
  Comparison,
  EndpointInfo,
  IncidentDelivery,
  ModelInfo,
  Session,
  SessionSummary,
  WebhookDelivery,
  Whoami,
} from '../../src/api/schemas.js';
import type { ShownWebhook } from '../../src/webhooks/schema.js';

/** The payloads the UI reads, typed from the server's zod schemas (type-only imports: nothing is bundled). */
export type {
  Anomaly,
  Comparison,
  EndpointInfo,
  Incident,
  IncidentDelivery,
  ModelInfo,
  Session,
  SessionSummary,
  ShownWebhook,
  WebhookDelivery,
  Whoami,
};
export type Page<T> = { items: T[]; nextCursor?: string };

const KEY_ITEM = 'tracehound.apiKey';

/** The API key lives for the browser tab's session only: closing the tab forgets it. */
export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_ITEM),
  set: (k: string) => sessionStorage.setItem(KEY_ITEM, k),
  clear: () => sessionStorage.removeItem(KEY_ITEM),
};

/** An API answer that was not 2xx, with the server's own message. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the public HTTP API (the only thing the UI talks to). */
export async function api<T>(
  path: string,
  init: { method?: 'GET' | 'POST' | 'DELETE'; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = apiKey.get();
  if (key) headers.authorization = `Bearer ${key}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const b = (await res.json()) as { error?: { message?: string } };
      if (b.error?.message) message = b.error.message;
    } catch {
      // not JSON: the status line says enough
    }
    throw new HttpError(res.status, message);
  }
  // 204 (a delete) has no body.
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** A query string of the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
