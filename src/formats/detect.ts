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
  while (i < head.length && isSpace(head[i])) i++;
  if (i >= head.length) return 'empty';
  const c = head[i];
  if (c === 0x7b || c === 0x5b) {
    // One JSON value per line? The first line must parse alone and be followed by another value. Only that
    // line is decoded, so a caller may pass a whole body; a head that ends inside the first line says 'json'
    // and the file reader finds any values after the first document itself (see afterRecordArray).
    const nl = head.indexOf(0x0a, i);
    if (nl < 0) return 'json';
    let next = nl + 1;
    while (next < head.length && isSpace(head[next])) next++;
    if (head[next] !== 0x7b && head[next] !== 0x5b) return 'json';
    try {
      JSON.parse(head.toString('utf8', i, nl));
      return 'ndjson';
    } catch {
      return 'json';
    }
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

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}
