import type { Trace } from './trace.js';

/**
 * One string naming a service's operation, `service:operation`: what models are trained per (a trace's
 * endpoint is its root span's pair), what the stores, the incident evidence and the public API key and
 * filter by. The brand makes the compiler tell a built key from any other string, so a key is only made
 * here and only taken apart here.
 *
 * The text must stay what is stored today (Redis keys, model registries, `?endpoint=` in the API), so the
 * separator stays a bare ':' and it is the FIRST ':' that separates: operation names often hold colons
 * (`GET /a:b`, `db:query`, `redis:GET`), service names (OTel `service.name`, Jaeger
 * `process.serviceName`) in practice do not.
 *
 * A service name that does hold ':' is escaped, not refused: keys are built on the ingest path from names
 * any sender controls, and an error there would fail a whole scoring batch (retried, then lost) for one
 * span's name. The escape is as small as parsing allows, so that the key of every service without a ':'
 * (and without a literal `%25` or `%3A`) stays byte for byte what was stored before: in the service only,
 * ':' becomes `%3A`, and a '%' becomes `%25` only where it would otherwise read as one of those two
 * escapes (followed by `25` or `3A`). After that the service holds no ':', so the first ':' is the
 * separator; the operation is never escaped.
 */
export type EndpointKey = string & { readonly __brand: 'EndpointKey' };

export interface EndpointParts {
  service: string;
  operation: string;
}

// The lookahead reads the unescaped name, so an escape written for a ':' never turns a '%' before it into one.
const SERVICE_ESCAPE = /:|%(?=25|3A)/g;
const SERVICE_UNESCAPE = /%(25|3A)/g;

const escapeService = (service: string) =>
  service.replace(SERVICE_ESCAPE, (c) => (c === ':' ? '%3A' : '%25'));

const unescapeService = (service: string) =>
  service.replace(SERVICE_UNESCAPE, (_, hex: string) => (hex === '25' ? '%' : ':'));

/** The key of `operation` on `service`. */
export function endpointKey(service: string, operation: string): EndpointKey {
  // The common case needs no regex pass: this runs per trace and per span on the scoring path.
  const s = service.includes(':') || service.includes('%') ? escapeService(service) : service;
  return (s + ':' + operation) as EndpointKey;
}

/**
 * The service and operation of a key, split at its first ':'. Undefined for a string without one: keys
 * also arrive from outside (API queries, registry listings that hold shared model sets under plain names),
 * and what that means differs per caller.
 */
export function parseEndpointKey(key: string): EndpointParts | undefined {
  const i = key.indexOf(':');
  if (i < 0) return undefined;
  const service = key.slice(0, i);
  return { service: service.includes('%') ? unescapeService(service) : service, operation: key.slice(i + 1) };
}

/** The service of a key; a string that is no key is taken as a bare service name (as incidents list them). */
export function serviceOfEndpointKey(key: string): string {
  return parseEndpointKey(key)?.service ?? key;
}

/**
 * An edge's key, `caller->callee`, each an endpoint key: the aggregates count per edge under it. Split at the
 * first '->' after the caller's first ':' (an escaped service holds no ':' and no '->' comes before it in
 * practice), so a caller operation holding '->' still splits right.
 */
export function edgeKey(caller: EndpointKey, callee: EndpointKey): string {
  return `${caller}->${callee}`;
}

/** The two endpoint keys of an edge's key; a string with no '->' is all caller. */
export function splitEdgeKey(key: string): { caller: string; callee: string } {
  const c = key.indexOf(':');
  const a = key.indexOf('->', c < 0 ? 0 : c + 1);
  return a < 0 ? { caller: key, callee: '' } : { caller: key.slice(0, a), callee: key.slice(a + 2) };
}

/** The key of a trace's endpoint: its root span's service and operation (`unknown:unknown` without a root). */
export function endpointKeyOf(trace: Trace): EndpointKey {
  const r = trace.spans[trace.root];
  return r ? endpointKey(r.service, r.operation) : endpointKey('unknown', 'unknown');
}

/** Traces grouped by their endpoint, in the order each endpoint first appears (models and reservoirs are per endpoint). */
export function tracesByEndpoint(traces: readonly Trace[]): Map<EndpointKey, Trace[]> {
  const out = new Map<EndpointKey, Trace[]>();
  for (const t of traces) {
    const key = endpointKeyOf(t);
    const group = out.get(key);
    if (group) group.push(t);
    else out.set(key, [t]);
  }
  return out;
}
