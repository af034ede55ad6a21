import type { Attributes } from '../trace/span.js';
import { isZeroId, normalizeSpanId } from '../trace/ids.js';
import { isObject, toInt } from './json-util.js';
import { httpStatusOf } from '../trace/semconv.js';

/**
 * What Zipkin v1 and v2 share: endpoints, the error rule, optional microsecond fields, and how the
 * readers recognize a span record without reading all of it.
 */

export interface ZipkinEndpoint {
  serviceName?: string;
  instance?: string;
}

/** `ipv4`/`ipv6` with `:port` (IPv6 in brackets); port 0 is Zipkin's "unknown" and is left out. */
export function readEndpoint(v: unknown): ZipkinEndpoint | undefined {
  if (!isObject(v)) return undefined;
  const serviceName = typeof v.serviceName === 'string' && v.serviceName !== '' ? v.serviceName : undefined;
  const ip4 = typeof v.ipv4 === 'string' && v.ipv4 !== '' ? v.ipv4 : undefined;
  const ip6 = typeof v.ipv6 === 'string' && v.ipv6 !== '' ? v.ipv6 : undefined;
  const port = typeof v.port === 'number' && v.port > 0 ? v.port : undefined;
  let instance: string | undefined;
  if (ip4) instance = port ? `${ip4}:${port}` : ip4;
  else if (ip6) instance = port ? `[${ip6}]:${port}` : ip6;
  return { serviceName, instance };
}

/** A timestamp or duration in µs; zero, negative and non-numbers mean "not recorded" (left to infer-timing). */
export function optionalMicros(v: unknown): number | undefined {
  const n = toInt(v);
  return n !== undefined && n > 0 ? n : undefined;
}

/** A parent id; an all-zero id is how some instrumentations spell "no parent". */
export function parentIdOf(v: unknown): { id?: string; bad: boolean } {
  if (v === undefined || v === null || v === '') return { bad: false };
  const id = normalizeSpanId(v);
  if (id === undefined) return { bad: true };
  return { id: isZeroId(id) ? undefined : id, bad: false };
}

/**
 * The error rule for Zipkin (and the span tables): the `error` tag marks a failed span and carries the
 * message; without it, an HTTP status of 500 or more counts too. Brave and most Zipkin instrumentations
 * add the `error` tag themselves for 5xx, but proxies (Envoy, haproxy-syslog bridges) often record only the
 * status code; 4xx is the caller's fault and does not make the span itself a failure.
 */
export function errorOf(attributes: Attributes): { error: boolean; statusMessage?: string } {
  const tag = attributes['error'];
  if (tag !== undefined && tag !== false && tag !== 'false') {
    const msg = typeof tag === 'string' && tag !== '' && tag !== 'true' ? tag : undefined;
    return { error: true, statusMessage: msg };
  }
  const status = httpStatusOf(attributes);
  if (Number.isFinite(status) && status >= 500) return { error: true, statusMessage: `HTTP ${status}` };
  return { error: false };
}

/** A record that has the two fields every Zipkin span must have. */
export function looksLikeZipkinSpan(v: unknown): v is Record<string, unknown> {
  return isObject(v) && typeof v.traceId === 'string' && typeof v.id === 'string';
}

/** The first span-like record of a list, a list of lists, or a single object: enough to tell formats apart. */
export function firstRecord(doc: unknown): Record<string, unknown> | undefined {
  let v = doc;
  if (Array.isArray(v)) {
    v = v.find((x) => !(Array.isArray(x) && x.length === 0));
    if (Array.isArray(v)) v = v[0];
  }
  return looksLikeZipkinSpan(v) ? v : undefined;
}

/**
 * Walks a Zipkin document: one span object, a list of spans (a trace or a POST body), or a list of lists
 * (`/api/v2/traces`), calling `each` with the record and its JSON path. Items that are neither are reported.
 */
export function forEachRecord(
  doc: unknown,
  where: string,
  onSkip: (where: string, message: string) => void,
  each: (record: Record<string, unknown>, where: string) => void,
): void {
  if (!Array.isArray(doc)) {
    if (isObject(doc)) each(doc, where);
    else onSkip(where, 'expected a span object or a list of spans');
    return;
  }
  for (let i = 0; i < doc.length; i++) {
    const item = doc[i];
    const at = `${where}[${i}]`;
    if (Array.isArray(item)) {
      for (let j = 0; j < item.length; j++) {
        const inner = item[j];
        if (isObject(inner)) each(inner, `${at}[${j}]`);
        else onSkip(`${at}[${j}]`, 'expected a span object');
      }
    } else if (isObject(item)) each(item, at);
    else onSkip(at, 'expected a span object or a list of spans');
  }
}
