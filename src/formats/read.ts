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
import { decodeOtlpProto } from './otlp-proto.js';
import { salvageJson } from './json-salvage.js';
import {
  afterRecordArray,
  findRecordArray,
  splitRecords,
  wrapRecord,
  type RecordArray,
} from './json-records.js';
import { ANY_TIME, timeProblem, type TimeWindow } from '../trace/time-window.js';

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

/** A span whose start or duration is outside the window is skipped and counted by reason, here for all formats. */
function sinkFor(
  file: string,
  report: ReadReport,
  assembler: TraceAssembler,
  window: TimeWindow = ANY_TIME,
): SpanSink & { count: number } {
  return {
    count: 0,
    span(s: RawSpan) {
      const problem = timeProblem(s.start, s.duration, window);
      if (problem) {
        report.skip(file, `span ${s.spanId} of trace ${s.traceId}`, problem.message, problem.reason);
        return;
      }
      this.count++;
      assembler.add(s);
    },
    skip: (where, message, reason) => report.skip(file, where, message, reason),
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
  strict = false,
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
  // A body sent to a format's own endpoint must be that format: anything else is a bad request, not a
  // request whose every record is skipped.
  if (strict && opts.format && !(format.accepts ?? format.matches)(doc))
    throw new InputError(file, 'top level', `not ${opts.format}: ${JSON.stringify(doc)?.slice(0, 60)}`);
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
  body: AsyncIterable<Buffer>,
  records: RecordArray,
  opts: ReadOptions,
  report: ReadReport,
  sink: SpanSink,
  complete: () => void,
  onClose: (rest: Buffer) => void,
): Promise<void> {
  let format = opts.format ? jsonFormatFor(undefined, opts.format) : undefined;
  for await (const r of splitRecords(body, records.offset, onClose)) {
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

/** NDJSON from a stream (which may start inside a file's first line: it is still line 1). */
async function readNdjsonStream(
  file: string,
  stream: Readable,
  opts: Pick<ReadOptions, 'format'>,
  report: ReadReport,
  sink: SpanSink,
): Promise<void> {
  let n = 1;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity }))
    readNdjsonLine(file, line, n++, opts, report, sink);
}

/**
 * Streams a JSON document's record array, then whatever follows the document: nothing in a lone document,
 * further lines when the file is NDJSON whose first line was longer than the head detection saw.
 */
async function readJsonRecordsThenLines(
  file: string,
  body: Readable,
  records: RecordArray,
  opts: ReadOptions,
  report: ReadReport,
  sink: SpanSink,
  complete: () => void,
): Promise<void> {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Without `return`, the record splitter leaves the stream open when it stops at the array's end.
  const keepOpen = { [Symbol.asyncIterator]: () => ({ next: () => chunks.next() }) };
  let rest: Buffer | undefined;
  try {
    await readJsonRecords(file, keepOpen, records, opts, report, sink, complete, (r) => (rest = r));
    if (rest)
      await readNdjsonStream(
        file,
        Readable.from(afterRecordArray(rest, chunks, records.path)),
        opts,
        report,
        sink,
      );
  } finally {
    await chunks.return?.();
  }
}

/** Opens a file as a (gunzipped) byte stream and peeks at its head. */
async function open(file: string, onProgress?: ReadOptions['onProgress']) {
  const info = await stat(file);
  if (info.isDirectory()) throw new InputError(file, '', 'is a directory; give trace files');
  const total = info.size;
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
      // Imported here: csv-parse costs every JSON read ~10 ms of start-up.
      const { readCsvStream } = await import('./csv.js');
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
      await readNdjsonStream(file, body, opts, report, sink);
    } else {
      const records = findRecordArray(head);
      if (records)
        await readJsonRecordsThenLines(file, body, records, opts, report, sink, () => assembler.flush());
      else {
        // Whole in memory now: detection sees all of the first line, however long.
        const all = await readAll(body);
        if (detectContainer(all) === 'ndjson')
          await readNdjsonStream(file, Readable.from([all]), opts, report, sink);
        else readJsonText(file, all.toString('utf8'), opts, report, sink);
      }
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
  opts: Pick<ReadOptions, 'format' | 'clockSkew'> & {
    /** Spans (and traces, once their missing times are inferred) outside it are skipped and counted. */
    window?: TimeWindow;
  } = {},
): { traces: Trace[]; report: ReadReport } {
  const report = new ReadReport();
  const traces: Trace[] = [];
  const window = opts.window ?? ANY_TIME;
  const assembler = assemblerFor(report, opts, (t) => traces.push(t));
  const where = 'request body';
  const sink = sinkFor(where, report, assembler, window);
  let buf = payload;
  if (payload[0] === 0x1f && payload[1] === 0x8b) {
    try {
      buf = gunzipSync(payload);
    } catch (err) {
      throw new InputError(where, '', `looks gzipped but cannot be decompressed (${(err as Error).message})`);
    }
  }
  const proto = opts.format === 'otlp-proto';
  // An empty ExportTraceServiceRequest encodes as zero bytes: valid when the sender said it is protobuf.
  if (proto && buf.length === 0) return { traces, report };
  // The whole body: detection decodes only its first line, which may be longer than a file's head.
  const container = proto ? 'protobuf' : detectContainer(buf);
  if (container === 'empty') throw new InputError(where, '', 'the body is empty');
  if (container === 'protobuf') {
    let doc: unknown;
    try {
      doc = decodeOtlpProto(buf, { declared: proto });
    } catch (err) {
      throw new InputError(where, '', (err as Error).message);
    }
    report.formats.set(where, 'otlp-proto');
    jsonFormatFor(doc, 'otlp-json')!.read(doc, sink, '$');
  } else if (container === 'csv') {
    throw new InputError(where, '', 'span tables are read from files, not request bodies');
  } else {
    const text = buf.toString('utf8');
    if (container === 'ndjson') {
      text.split('\n').forEach((line, i) => readNdjsonLine(where, line, i + 1, opts, report, sink));
    } else readJsonText(where, text, opts, report, sink, true);
  }
  assembler.flush();
  if (window === ANY_TIME) return { traces, report };
  // Times the adjusters inferred (a trace without any start becomes epoch 0) get the same check.
  const kept = traces.filter((t) => {
    const problem = timeProblem(t.start, t.end - t.start, window);
    if (!problem) return true;
    for (const s of t.spans)
      report.skip(where, `span ${s.spanId} of trace ${t.traceId}`, problem.message, problem.reason);
    report.traces--;
    report.spans -= t.spans.length;
    return false;
  });
  return { traces: kept, report };
}
