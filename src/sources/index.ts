/** Pulling traces from backends: clients, the poller and its state stores. */
import { JaegerV1Source } from './jaeger-v1.js';
import { JaegerV3Source } from './jaeger-v3.js';
import type { SourceKind, SourceOptions, TraceSource } from './source.js';
import { ZipkinSource } from './zipkin.js';

export * from './source.js';
export { SourceError } from './http.js';
export { JaegerV1Source } from './jaeger-v1.js';
export { JaegerV3Source, rfc3339Nanos } from './jaeger-v3.js';
export { ZipkinSource } from './zipkin.js';

export function createSource(kind: SourceKind, opts: SourceOptions): TraceSource {
  switch (kind) {
    case 'jaeger-v1':
      return new JaegerV1Source(opts);
    case 'jaeger-v3':
      return new JaegerV3Source(opts);
    case 'zipkin':
      return new ZipkinSource(opts);
  }
}
export { Poller, type PollerOptions } from './poller.js';
export { Breaker } from './breaker.js';
export { MemoryPollerState } from './state.js';
export { RedisPollerState } from './redis-state.js';
