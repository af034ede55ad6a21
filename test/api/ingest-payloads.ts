import type { ApiDeps } from '../../src/api/index.js';
import type { RawSpan } from '../../src/trace/span.js';

/** Hand-written push payloads around "now", and an ingest stub that records what reached the buffer. */

export const NOW_MS = Date.now();
const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;

export interface OtlpSpanIn {
  traceId?: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  startTimeUnixNano?: unknown;
  endTimeUnixNano?: unknown;
}

/** A span that started `agoMs` before now and lasted `ms`. */
export function otlpSpan(spanId: string, agoMs = 1000, ms = 20, over: Partial<OtlpSpanIn> = {}): OtlpSpanIn {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId,
    name: 'GET /cart',
    startTimeUnixNano: ns(NOW_MS - agoMs),
    endTimeUnixNano: ns(NOW_MS - agoMs + ms),
    ...over,
  };
}

export function otlpDoc(spans: OtlpSpanIn[], service = 'cart'): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans: spans.map((s) => ({ kind: 2, ...s })) }],
      },
    ],
  };
}

export function zipkinSpan(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    id,
    name: 'get /cart',
    kind: 'SERVER',
    timestamp: (NOW_MS - 1000) * 1000,
    duration: 20_000,
    localEndpoint: { serviceName: 'cart' },
    ...over,
  };
}

/** Records the spans each push hands on. */
export function recordingIngest(): { spans: string[]; ingest: NonNullable<ApiDeps['ingest']> } {
  const spans: string[] = [];
  return {
    spans,
    ingest: async (pushed: RawSpan[]) => {
      for (const s of pushed) spans.push(s.spanId);
    },
  };
}
