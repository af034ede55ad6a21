/** Writes a generated period as a gzipped trace file in one wire format, streaming (a period is hundreds of MB). */
import { createWriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Generated } from './generate.js';
import { encode, type WireFormat } from './wire/index.js';
import type { SimTrace } from './model.js';

/**
 * Traces per OTLP request line. One: Tracehound tells NDJSON from JSON by its first 64 KB, so a file whose
 * first line is longer (a Collector file exporter's batch of thousands of spans) is read as one document and
 * every later line is dropped without a word; one trace per line stays well under that.
 */
const OTLP_TRACES_PER_LINE = 1;
/** Traces encoded at a time for the single-document formats. */
const BATCH = 200;

async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Writes every trace of `items` to `path` (gzip) and calls `onTrace` with each generated item (for truth and
 * progress). OTLP JSON becomes NDJSON, one ExportTraceServiceRequest per line; Jaeger v1 one `{"data": [...]}`
 * document; Zipkin v2 one list of spans.
 */
export async function writePeriod(
  path: string,
  format: WireFormat,
  items: Iterable<Generated>,
  onTrace: (g: Generated) => void,
): Promise<void> {
  const gz = createGzip();
  const file = createWriteStream(path);
  gz.pipe(file);
  const [open, sep, close] =
    format === 'otlp-json'
      ? ['', '\n', '\n']
      : format === 'jaeger-v1'
        ? ['{"data":[', ',', ']}\n']
        : ['[', ',', ']\n'];
  await put(gz, open);
  let batch: SimTrace[] = [];
  let first = true;
  const flush = async () => {
    if (batch.length === 0) return;
    const doc = encode(format, batch);
    // Jaeger and Zipkin write one document: the batch's elements join the list the file opened
    const text = format === 'otlp-json' ? JSON.stringify(doc) : JSON.stringify(listOf(doc)).slice(1, -1);
    await put(gz, (first ? '' : sep) + text);
    first = false;
    batch = [];
  };
  for (const g of items) {
    onTrace(g);
    batch.push(g.trace);
    if (batch.length >= (format === 'otlp-json' ? OTLP_TRACES_PER_LINE : BATCH)) await flush();
  }
  await flush();
  gz.end(close);
  await once(file, 'close');
}

function listOf(doc: object): unknown[] {
  return Array.isArray(doc) ? doc : (doc as { data: unknown[] }).data;
}
