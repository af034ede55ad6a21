/**
 * Writes spans as Zipkin v2 JSON: a flat list of spans with upper-case `kind` (absent for local spans),
 * µs `timestamp`/`duration`, the service in `localEndpoint`, and string-only tags. Failure is the `error` tag.
 */
import type { Span } from '../../trace/span.js';
import { valueText } from './values.js';

export interface ZipkinEndpointOut {
  serviceName?: string;
  ipv4?: string;
}

export interface ZipkinSpanOut {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp: number;
  duration: number;
  localEndpoint: ZipkinEndpointOut;
  remoteEndpoint?: ZipkinEndpointOut;
  annotations?: { timestamp: number; value: string }[];
  tags: Record<string, string>;
}

const KIND = { server: 'SERVER', client: 'CLIENT', producer: 'PRODUCER', consumer: 'CONSUMER' } as const;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function toZipkinSpan(s: Span): ZipkinSpanOut {
  const tags: Record<string, string> = {};
  for (const k in s.attributes) tags[k] = valueText(s.attributes[k]);
  if (s.error) tags['error'] = s.statusMessage ?? 'true';
  const local: ZipkinEndpointOut = { serviceName: s.service };
  const ip = s.resource['net.host.ip'];
  if (typeof ip === 'string' && IPV4.test(ip)) local.ipv4 = ip;
  const out: ZipkinSpanOut = {
    traceId: s.traceId,
    id: s.spanId,
    name: s.operation,
    // Zipkin reads 0 as "unknown"; a real span lasts at least a microsecond.
    timestamp: s.start,
    duration: Math.max(1, s.duration),
    localEndpoint: local,
    tags,
  };
  if (s.parentId !== undefined) out.parentId = s.parentId;
  if (s.kind !== 'internal') out.kind = KIND[s.kind];
  const peer = s.attributes['peer.service'];
  if (typeof peer === 'string' && (s.kind === 'client' || s.kind === 'producer'))
    out.remoteEndpoint = { serviceName: peer };
  if (s.events > 0) {
    out.annotations = [];
    for (let i = 0; i < s.events; i++)
      out.annotations.push({ timestamp: s.start + s.duration, value: s.error ? 'exception' : 'event' });
  }
  return out;
}

/** A trace (or any spans) as a Zipkin span list: the body of /api/v2/trace/{id} and of POST /api/v2/spans. */
export function toZipkinSpans(spans: Span[]): ZipkinSpanOut[] {
  return spans.map(toZipkinSpan);
}
