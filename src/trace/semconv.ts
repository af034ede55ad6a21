import type { Attributes } from './span.js';

/**
 * Attributes the core reads, under their current OpenTelemetry semantic-convention names and the older ones
 * still everywhere in recorded data: the current name wins when both are set.
 */

function text(a: Attributes, current: string, older: string): string | undefined {
  for (const k of [current, older]) {
    const v = a[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

const IP = /^(\d{1,3}\.){3}\d{1,3}$|:/;

/**
 * The service a client span called: `service.peer.name`, formerly `peer.service` (what Jaeger and Zipkin
 * instrumentations set); failing those, the host it connected to (`server.address`, formerly
 * `net.peer.name`), named by its first DNS label, which is the service's name in Kubernetes' service DNS
 * (`cart.shop.svc.cluster.local`). An IP address names nothing. Undefined when the span says none.
 */
export function peerServiceOf(a: Attributes): string | undefined {
  const named = text(a, 'service.peer.name', 'peer.service');
  if (named !== undefined) return named;
  const host = text(a, 'server.address', 'net.peer.name');
  return host === undefined || IP.test(host) ? undefined : host.split('.')[0];
}

/** The HTTP response status: `http.response.status_code`, formerly `http.status_code`; NaN when absent. */
export function httpStatusOf(a: Attributes): number {
  const v = a['http.response.status_code'] ?? a['http.status_code'];
  return v === undefined || v === '' ? NaN : Number(v);
}
