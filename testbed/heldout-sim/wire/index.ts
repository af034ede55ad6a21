/** The wire formats the held-out simulator writes, by name. */
import type { SimTrace } from '../model.js';
import { toJaegerV1 } from './jaeger-v1.js';
import { toOtlpJson } from './otlp-json.js';
import { toZipkinV2 } from './zipkin-v2.js';

export const WIRE_FORMATS = ['otlp-json', 'jaeger-v1', 'zipkin-v2'] as const;
export type WireFormat = (typeof WIRE_FORMATS)[number];

export function encode(format: WireFormat, traces: readonly SimTrace[]): object {
  switch (format) {
    case 'otlp-json':
      return toOtlpJson(traces);
    case 'jaeger-v1':
      return toJaegerV1(traces);
    case 'zipkin-v2':
      return toZipkinV2(traces);
  }
}

/** File name suffix per format (Tracehound detects the format from the content, not the name). */
export const EXTENSION: Record<WireFormat, string> = {
  'otlp-json': '.otlp.json',
  'jaeger-v1': '.jaeger.json',
  'zipkin-v2': '.zipkin.json',
};
