/**
 * Writers for the JSON trace formats we read, and a streaming file writer that emits one trace at a time so
 * a million spans never sit in memory as one document.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Span } from '../../trace/span.js';
import { toJaegerTrace } from './jaeger-v1.js';
import { toOtlpResourceSpans } from './otlp-json.js';
import { toZipkinSpans } from './zipkin-v2.js';

export * from './jaeger-v1.js';
export * from './zipkin-v2.js';
export * from './otlp-json.js';

export const WRITE_FORMATS = ['jaeger-v1', 'zipkin-v2', 'otlp-json'] as const;
export type WriteFormat = (typeof WRITE_FORMATS)[number];

/** File name convention: NAME.jaeger.json, NAME.zipkin.json, NAME.otlp.json (a plain .json is Jaeger). */
const SUFFIXES: [string, WriteFormat][] = [
  ['.jaeger.json', 'jaeger-v1'],
  ['.zipkin.json', 'zipkin-v2'],
  ['.otlp.json', 'otlp-json'],
];

export function formatFromPath(path: string): WriteFormat | undefined {
  const p = path.toLowerCase();
  for (const [suffix, f] of SUFFIXES) if (p.endsWith(suffix)) return f;
  return p.endsWith('.json') ? 'jaeger-v1' : undefined;
}

/** NAME.truth.json beside NAME.<format>.json. */
export function truthPathFor(path: string): string {
  const p = path.toLowerCase();
  for (const [suffix] of SUFFIXES)
    if (p.endsWith(suffix)) return path.slice(0, -suffix.length) + '.truth.json';
  return (p.endsWith('.json') ? path.slice(0, -5) : path) + '.truth.json';
}

const FRAMES: Record<WriteFormat, { head: string; tail: (traces: number) => string }> = {
  'jaeger-v1': { head: '{"data":[', tail: (n) => `],"total":${n},"limit":0,"offset":0,"errors":null}\n` },
  'zipkin-v2': { head: '[', tail: () => ']\n' },
  'otlp-json': { head: '{"resourceSpans":[', tail: () => ']}\n' },
};

/** One trace's part of the document, without the surrounding frame (empty for a trace with no spans). */
export function traceChunk(format: WriteFormat, spans: Span[]): string {
  if (spans.length === 0) return '';
  switch (format) {
    case 'jaeger-v1':
      return JSON.stringify(toJaegerTrace(spans));
    case 'zipkin-v2':
      return JSON.stringify(toZipkinSpans(spans)).slice(1, -1);
    case 'otlp-json':
      return JSON.stringify(toOtlpResourceSpans(spans)).slice(1, -1);
  }
}

/** Writes a document trace by trace, honouring the stream's backpressure. */
export class TraceFileWriter {
  private first = true;
  private buffered: string[] = [];
  private bufferedLen = 0;
  traces = 0;
  spans = 0;

  private constructor(
    private readonly out: WriteStream,
    readonly format: WriteFormat,
  ) {}

  static async open(path: string, format: WriteFormat): Promise<TraceFileWriter> {
    const out = createWriteStream(path);
    await once(out, 'open');
    const w = new TraceFileWriter(out, format);
    w.buffered.push(FRAMES[format].head);
    return w;
  }

  async write(spans: Span[]): Promise<void> {
    const chunk = traceChunk(this.format, spans);
    if (chunk === '') return;
    this.traces++;
    this.spans += spans.length;
    if (!this.first) this.buffered.push(',');
    this.first = false;
    this.buffered.push(chunk);
    this.bufferedLen += chunk.length;
    if (this.bufferedLen > 1 << 20) await this.drain();
  }

  private async drain(): Promise<void> {
    const text = this.buffered.join('');
    this.buffered = [];
    this.bufferedLen = 0;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    this.buffered.push(FRAMES[this.format].tail(this.traces));
    await this.drain();
    this.out.end();
    await once(this.out, 'finish');
  }
}
