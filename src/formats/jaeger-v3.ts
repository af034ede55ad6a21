import type { JsonFormat, SpanSink } from './types.js';
import { isObject } from './json-util.js';
import { readResourceSpans } from './otlp-json.js';

/**
 * Jaeger api_v3 (GetTrace / FindTraces over HTTP): OTLP JSON inside the gRPC gateway's `{"result":...}`
 * wrapper. A streamed FindTraces answer is one such object per line and arrives here line by line.
 * The gateway's error body is `{"error":{...}}` and deliberately does not match.
 */
export const jaegerV3: JsonFormat = {
  name: 'jaeger-v3',
  matches(doc: unknown): boolean {
    return isObject(doc) && isObject(doc.result) && Array.isArray(doc.result.resourceSpans);
  },
  read(doc: unknown, sink: SpanSink, where: string): void {
    if (!isObject(doc) || !isObject(doc.result)) {
      sink.skip(where, 'expected an api_v3 {"result":{"resourceSpans":[...]}} object');
      return;
    }
    readResourceSpans(doc.result.resourceSpans, sink, `${where}.result.resourceSpans`);
  },
};
