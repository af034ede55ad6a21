import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { RawSpan } from '../trace/span.js';
import type { Trace } from '../trace/trace.js';
import { TraceAssembler } from './assembler.js';
import { detectContainer, jsonFormatFor } from './detect.js';
import { ReadReport } from './report.js';
import { InputError, type FormatName, type SpanSink } from './types.js';
import { readCsvStream } from './csv.js';
import { decodeOtlpProto } from './otlp-proto.js';
import { salvageJson } from './json-salvage.js';
import { findRecordArray, splitRecords, wrapRecord, type RecordArray } from './json-records.js';

export interface ReadOptions {
  /** Skip detection. */
  format?: FormatName;
  /** A span-table preset (nezha, shapleyiq, ...). */
  preset?: string;
  /** A span-table column mapping, "traceId=TraceID,spanId=SpanID,...". */
  columns?: string;
  /** Run the clock-skew adjuster (default true). */
  clockSkew?: boolean;
  /** For streamed inputs: how many spans may pass before an idle trace is considered complete. */
  idleSpans?: number;
  /** Called with bytes read so far, for progress bars. */
  onProgress?: (bytesRead: number, bytesTotal: number) => void;
}

const HEAD_BYTES = 64 * 1024;

function sinkFor(file: string, report: ReadReport, assembler: TraceAssembler): SpanSink & { count: number } {
  return {
    count: 0,
    span(s: RawSpan) {
      this.count++;
      assembler.add(s);
    },
    skip: (where, message) => report.skip(file, where, message),
    warn: (message) => report.note(message),
  };
}

function assemblerFor(report: ReadReport, opts: ReadOptions, onTrace: (t: Trace) => void): TraceAssembler {
  return new TraceAssembler(
    (t) => {
      report.traces++;
      report.spans += t.spans.length;
      for (const w of t.warnings) report.traceWarning(w);
      onTrace(t);
    },
    { clockSkew: opts.clockSkew, idleSpans: opts.idleSpans },
  );
}

function parseError(file: string, text: string, err: unknown): InputError {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(msg);
  if (m) {
    const pos = Number(m[1]);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    return new InputError(file, `line ${line}, column ${col}`, `invalid JSON: ${msg}`);
  }
  return new InputError(file, '', `invalid JSON: ${msg}`);
}

/** Reads one JSON document (already in memory) into the sink. */
function readJsonText(
  file: string,
  text: string,
  opts: ReadOptions,
  report: ReadReport,
  sink: SpanSink,
): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // A truncated or partly corrupt document: keep every complete record before the damage.
    const salvaged = salvageJson(text);
    if (!salvaged || salvaged.recovered === 0) throw parseError(file, text, err);
    report.note(
      `${file}: invalid JSON (${(err as Error).message}); ${salvaged.recovered} complete records recovered`,
    );
    doc = salvaged.doc;
  }
  const format = jsonFormatFor(doc, opts.format);
  if (!format) {
    throw new InputError(
      file,
      'top level',
      opts.format
        ? `format ${opts.format} is not a JSON format`
        : 'not a trace format we know (expected Jaeger {"data":[...]}, a Jaeger trace, api_v3 {"result":...}, OTLP {"resourceSpans":...} or a Zipkin span list)',
    );
  }
  report.formats.set(file, format.name);
  format.read(doc, sink, '$');
}

/**
 * A JSON document whose records sit in one array (Jaeger's `data`, OTLP's `resourceSpans`, a Zipkin list) is
 * read record by record: memory holds one record at a time, and a corrupt record is skipped, not the file.
 * When records are whole traces, each is handed on (`complete`) as soon as it is read.
 */
async function readJsonRecords(
  file: string,
  body: Readable,
  records: RecordArray,
  opts: ReadOptions,
  report: ReadReport,
  sink: SpanSink,
  complete: () => void,
): Promise<void> {
  let format = opts.format ? jsonFormatFor(undefined, opts.format) : undefined;
  for await (const r of splitRecords(body, records.offset)) {
    const where = `${records.path}[${r.index}]`;
    if ('error' in r) {
      report.skip(file, where, r.error);
      continue;
    }
    let el: unknown;
    try {
      el = JSON.parse(r.text);
    } catch (err) {
      report.skip(file, where, `invalid JSON: ${(err as Error).message}`);
      continue;
    }
    const doc = wrapRecord(records.path, el);
    format ??= jsonFormatFor(doc);
    if (!format) throw new InputError(file, where, 'not a trace format we know');
    report.formats.set(file, format.name);
    format.read(doc, sink, where);
    if (format.recordsAreTraces) complete();
  }
}

/** One line of NDJSON (the collector's file exporter writes one request per line): a bad line is skipped. */
function readNdjsonLine(
  file: string,
  line: string,
  n: number,
  opts: Pick<ReadOptions, 'format'>,
  report: ReadReport,
  sink: SpanSink,
): void {
  if (line.trim() === '') return;
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    report.skip(file, `line ${n}`, `invalid JSON: ${(err as Error).message}`);
    return;
  }
  const format = jsonFormatFor(doc, opts.format);
  if (!format) return report.skip(file, `line ${n}`, 'not a trace format we know');
  if (!report.formats.has(file)) report.formats.set(file, format.name);
  format.read(doc, sink, `line ${n}`);
}

async function* lines(stream: Readable): AsyncGenerator<string> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

/** Opens a file as a (gunzipped) byte stream and peeks at its head. */
async function open(file: string, onProgress?: ReadOptions['onProgress']) {
  const total = (await stat(file)).size;
  // Large chunks: fewer records straddle two of them, and fewer async hops per megabyte.
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  let read = 0;
  raw.on('data', (c) => {
    read += c.length;
    onProgress?.(read, total);
  });
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  const firstChunk: Buffer = first.done ? Buffer.alloc(0) : first.value;
  const gz = firstChunk[0] === 0x1f && firstChunk[1] === 0x8b;
  const rest = async function* () {
    yield firstChunk;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  };
  let stream: Readable = Readable.from(rest(), { objectMode: false });
  if (gz) stream = stream.pipe(createGunzip());
  // Peek at the decompressed head, then hand back a stream that replays it.
  const sit = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const headChunks: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < HEAD_BYTES) {
    const r = await sit.next();
    if (r.done) {
      done = true;
      break;
    }
    headChunks.push(r.value);
    headLen += r.value.length;
  }
  const head = Buffer.concat(headChunks);
  const body = Readable.from(
    (async function* () {
      yield head;
      if (!done) for (let r = await sit.next(); !r.done; r = await sit.next()) yield r.value;
    })(),
    { objectMode: false },
  );
  return { head, body, gz, total };
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Reads trace files of any supported format (detected per file unless forced) and calls `onTrace` with each
 * normalized trace. Streams NDJSON, CSV and JSON record arrays (a Jaeger trace list goes on trace by trace);
 * reads other JSON and protobuf documents whole. Throws InputError only
 * when a file yields nothing at all; otherwise bad records are skipped and counted in the report.
 */
export async function readTraceFiles(
  files: string[],
  opts: ReadOptions,
  onTrace: (trace: Trace) => void,
): Promise<ReadReport> {
  const report = new ReadReport();
  for (const file of files) {
    const assembler = assemblerFor(report, opts, onTrace);
    const sink = sinkFor(file, report, assembler);
    const skippedBefore = report.skipped;
    const { head, body } = await open(file, opts.onProgress);
    const container =
      opts.format === 'csv' ? 'csv' : opts.format === 'otlp-proto' ? 'protobuf' : detectContainer(head);
    if (container === 'empty') throw new InputError(file, '', 'the file is empty');
    if (container === 'csv' || opts.preset || opts.columns) {
      report.formats.set(file, 'csv');
      await readCsvStream(body, sink, { preset: opts.preset, columns: opts.columns, file });
    } else if (container === 'protobuf') {
      const buf = await readAll(body);
      let doc: unknown;
      try {
        doc = decodeOtlpProto(buf);
      } catch (err) {
        throw new InputError(
          file,
          'byte 0',
          `not JSON, CSV or an OTLP ExportTraceServiceRequest protobuf (${(err as Error).message})`,
        );
      }
      report.formats.set(file, 'otlp-proto');
      jsonFormatFor(doc, 'otlp-json')!.read(doc, sink, '$');
    } else if (container === 'ndjson') {
      let n = 0;
      for await (const line of lines(body)) readNdjsonLine(file, line, ++n, opts, report, sink);
    } else {
      const records = findRecordArray(head);
      if (records) await readJsonRecords(file, body, records, opts, report, sink, () => assembler.flush());
      else readJsonText(file, (await readAll(body)).toString('utf8'), opts, report, sink);
    }
    assembler.flush();
    if (sink.count === 0 && report.skipped > skippedBefore) {
      throw new InputError(
        file,
        '',
        `no span could be read; first problem: ${report.skipSamples[0] ?? 'unknown'}`,
      );
    }
  }
  return report;
}

/**
 * Reads a JSON document that is already parsed, in the given format: for a caller that parsed an answer
 * to look at it first (a poller dropping traces it has already seen before they are normalized).
 */
export function readTraceDocument(
  doc: unknown,
  format: FormatName,
  opts: Pick<ReadOptions, 'clockSkew'> = {},
  where = 'response',
): { traces: Trace[]; report: ReadReport } {
  const report = new ReadReport();
  const traces: Trace[] = [];
  const assembler = assemblerFor(report, opts, (t) => traces.push(t));
  const reader = jsonFormatFor(doc, format);
  if (!reader) throw new InputError(where, 'top level', `format ${format} is not a JSON format`);
  report.formats.set(where, reader.name);
  reader.read(doc, sinkFor(where, report, assembler), '$');
  assembler.flush();
  return { traces, report };
}

/** Reads one in-memory payload (an HTTP body): JSON, NDJSON, protobuf, optionally gzipped. */
export function readTracePayload(
  payload: Buffer,
  opts: Pick<ReadOptions, 'format' | 'clockSkew'> = {},
): { traces: Trace[]; report: ReadReport } {
  const report = new ReadReport();
  const traces: Trace[] = [];
  const assembler = assemblerFor(report, opts, (t) => traces.push(t));
  const where = 'request body';
  const sink = sinkFor(where, report, assembler);
  const buf = payload[0] === 0x1f && payload[1] === 0x8b ? gunzipSync(payload) : payload;
  const container = opts.format === 'otlp-proto' ? 'protobuf' : detectContainer(buf.subarray(0, HEAD_BYTES));
  if (container === 'empty') throw new InputError(where, '', 'the body is empty');
  if (container === 'protobuf') {
    const doc = decodeOtlpProto(buf);
    report.formats.set(where, 'otlp-proto');
    jsonFormatFor(doc, 'otlp-json')!.read(doc, sink, '$');
  } else if (container === 'csv') {
    throw new InputError(where, '', 'span tables are read from files, not request bodies');
  } else {
    const text = buf.toString('utf8');
    if (container === 'ndjson') {
      text.split('\n').forEach((line, i) => readNdjsonLine(where, line, i + 1, opts, report, sink));
    } else readJsonText(where, text, opts, report, sink);
  }
  assembler.flush();
  return { traces, report };
}
