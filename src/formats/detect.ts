import type { FormatName, JsonFormat } from './types.js';
import { jaegerApiV2 } from './jaeger-api-v2.js';
import { jaegerV1 } from './jaeger-v1.js';
import { jaegerV3 } from './jaeger-v3.js';
import { otlpJson } from './otlp-json.js';
import { zipkinV1 } from './zipkin-v1.js';
import { zipkinV2 } from './zipkin-v2.js';

/** Most specific first: api_v3 wraps OTLP, and Zipkin v1 records also look like lists of spans. */
export const JSON_FORMATS: JsonFormat[] = [jaegerV3, otlpJson, jaegerApiV2, jaegerV1, zipkinV1, zipkinV2];

export function jsonFormatFor(doc: unknown, forced?: FormatName): JsonFormat | undefined {
  if (forced) return JSON_FORMATS.find((f) => f.name === forced);
  return JSON_FORMATS.find((f) => f.matches(doc));
}

export type Container = 'json' | 'ndjson' | 'csv' | 'protobuf' | 'empty';

/** Guesses how a file is laid out from its first bytes (after gunzip). */
export function detectContainer(head: Buffer): Container {
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3; // UTF-8 BOM
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09))
    i++;
  if (i >= head.length) return 'empty';
  const c = head[i];
  if (c === 0x7b || c === 0x5b) {
    // One JSON value per line? The first line must parse alone and be followed by another value.
    const text = head.toString('utf8', i);
    const nl = text.indexOf('\n');
    if (
      nl > 0 &&
      text
        .slice(nl + 1)
        .trimStart()
        .startsWith('{')
    ) {
      try {
        JSON.parse(text.slice(0, nl));
        return 'ndjson';
      } catch {
        return 'json';
      }
    }
    return 'json';
  }
  // Text with a comma-separated first line is a span table; anything else is binary.
  const sample = head.subarray(i, Math.min(head.length, i + 4096));
  let printable = 0;
  for (const b of sample)
    if (b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0xc0) printable++;
  const text = sample.toString('utf8');
  const firstLine = text.split(/\r?\n/, 1)[0];
  if (printable / sample.length > 0.95 && firstLine.includes(',')) return 'csv';
  return 'protobuf';
}
