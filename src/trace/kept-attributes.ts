import type { Attributes } from './span.js';

/**
 * The span attributes that travel with a trace once it is compacted (queued for scoring, kept for training,
 * buffered while a pushed trace settles): the ones the core reads. Who a call went to, when no server span
 * answers it (an uninstrumented cache, a service refusing connections), current and older names; what kind
 * of failure it was; and the user or session it served. The rest (URLs, ids, bodies) stays out: it is per
 * request, large, and nothing downstream reads it.
 */
export const KEPT_SPAN_ATTRIBUTES: readonly string[] = [
  'peer.service',
  'service.peer.name',
  'server.address',
  'net.peer.name',
  'db.system',
  'db.system.name',
  'messaging.system',
  'error.type',
  'http.route',
  'session.id',
  'enduser.id',
];

/** Resource values longer than this are identifiers or blobs, not dimensions worth comparing traces by. */
const MAX_RESOURCE_VALUE = 120;

/**
 * The kept span attributes, or undefined when there are none. `extra`: more names to keep, those the
 * configuration makes the core read (the session attributes, TRACEHOUND_SESSION_ATTRIBUTES).
 */
export function keptSpanAttributes(a: Attributes, extra: readonly string[] = []): Attributes | undefined {
  let out: Attributes | undefined;
  for (const k of KEPT_SPAN_ATTRIBUTES) if (a[k] !== undefined) (out ??= {})[k] = a[k];
  for (const k of extra) if (a[k] !== undefined) (out ??= {})[k] = a[k];
  return out;
}

/**
 * The resource (process) attributes kept: every scalar of reasonable length. They are few per process
 * (version, pod, host, zone) and they are what BubbleUp compares flagged traces by.
 */
export function keptResource(r: Attributes): Attributes {
  const out: Attributes = {};
  for (const k in r) {
    const v = r[k];
    if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'string' && v.length <= MAX_RESOURCE_VALUE) out[k] = v;
  }
  return out;
}
