import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Attributes, RawSpan, SpanKind } from '../trace/span.js';
import { isZeroId, normalizeHexId } from '../trace/ids.js';
import { InputError, type SpanSink } from './types.js';
import { COLUMNS_SYNTAX, mappingProblem, parseColumns, toMicros, type CsvMapping } from './csv-mapping.js';
import { CSV_PRESETS, detectPreset, presetMapping } from './csv-presets.js';
import { errorOf } from './zipkin-common.js';

/**
 * Span tables (one span per row, a header row first), streamed: rows are parsed and handed to the sink one
 * at a time, so memory does not grow with the file.
 *
 * Rules every mapping shares:
 * - A parent cell that is empty, `root`, `null`, `none`, `-` or an all-zero id means "no parent".
 * - Ids are hex, left-padded; a non-hex id (or one too long) is replaced by a hash of it (FNV-1a, so the
 *   same text always gives the same id and parent references still meet), with one warning per file.
 * - error: the error column is truthy (true/1/yes/error, or any other non-false text, kept as the
 *   message); else the status code is 500 or more (as for Zipkin); else `errorMatch` on statusMessage.
 * - Rows with a wrong column count, a missing id, or a time that is not a non-negative number are skipped
 *   and counted as `line N`; a row never stops the read.
 */

export interface CsvReadOptions {
  preset?: string;
  columns?: string;
  file: string;
}

const NO_PARENT = new Set(['', 'root', 'null', 'none', '-', 'nil']);
const FALSY = new Set(['', 'false', '0', 'no', 'none', 'null', 'ok', 'unset']);
const TRUTHY = new Set(['true', '1', 'yes', 'error']);
const KINDS: Record<string, SpanKind> = {
  server: 'server',
  client: 'client',
  producer: 'producer',
  consumer: 'consumer',
  internal: 'internal',
};

/** FNV-1a in independent 32-bit lanes, each salted: a deterministic hex id of `width` characters. */
export function hashId(text: string, width: 16 | 32): string {
  let out = '';
  for (let lane = 0; lane < width / 8; lane++) {
    let h = (0x811c9dc5 ^ Math.imul(lane + 1, 0x9e3779b1)) >>> 0;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    out += ((h ^ (h >>> 13)) >>> 0).toString(16).padStart(8, '0');
  }
  return isZeroId(out) ? '1'.padStart(width, '0') : out;
}

function kindOf(cell: string): SpanKind | undefined {
  if (cell === '') return 'internal';
  let k = cell.toLowerCase();
  if (k.startsWith('span_kind_')) k = k.slice(10);
  return KINDS[k];
}

function stripParts(s: string, n: number): string {
  let end = s.length;
  for (let i = 0; i < n; i++) {
    const dash = s.lastIndexOf('-', end - 1);
    if (dash <= 0) return s;
    end = dash;
  }
  return s.slice(0, end);
}

/** The mapping to use: explicit columns (over a preset when both are given), a preset, or detection. */
function resolveMapping(header: string[], opts: CsvReadOptions): CsvMapping {
  const file = opts.file;
  let base: CsvMapping | undefined;
  if (opts.preset) {
    base = presetMapping(opts.preset);
    if (!base)
      throw new InputError(
        file,
        '',
        `unknown preset "${opts.preset}"; presets: ${CSV_PRESETS.map((p) => p.name).join(', ')}`,
      );
  }
  if (opts.columns) {
    try {
      return parseColumns(opts.columns, base);
    } catch (err) {
      throw new InputError(file, '--columns', `${(err as Error).message}; syntax: ${COLUMNS_SYNTAX}`);
    }
  }
  if (base) return base;
  const found = detectPreset(header);
  if (found) return parseColumns(found.columns);
  throw new InputError(
    file,
    'line 1',
    `the header "${header.join(',')}" matches no span-table preset. Presets: ` +
      CSV_PRESETS.map((p) => `${p.name} (${p.description})`).join('; ') +
      `. Or map the columns yourself: ${COLUMNS_SYNTAX}`,
  );
}

/** Column indexes for a mapping, checked against the header. */
function compile(m: CsvMapping, header: string[], file: string) {
  const problem = mappingProblem(m);
  if (problem) throw new InputError(file, 'columns', `${problem}; syntax: ${COLUMNS_SYNTAX}`);
  const col = (h: string | undefined, what: string): number => {
    if (h === undefined) return -1;
    const i = header.indexOf(h);
    if (i < 0)
      throw new InputError(
        file,
        'line 1',
        `column "${h}" (for ${what}) is not in the header "${header.join(',')}"`,
      );
    return i;
  };
  const f = m.fields;
  return {
    traceId: col(f.traceId, 'traceId'),
    spanId: col(f.spanId, 'spanId'),
    parentId: col(f.parentId, 'parentId'),
    service: col(f.service, 'service'),
    operation: col(f.operation, 'operation'),
    kind: col(f.kind, 'kind'),
    start: col(f.start, 'start'),
    end: col(f.end, 'end'),
    duration: col(f.duration, 'duration'),
    error: col(f.error, 'error'),
    statusCode: col(f.statusCode, 'statusCode'),
    statusMessage: col(f.statusMessage, 'statusMessage'),
    instance: col(f.instance, 'instance'),
    attrs: m.attrs.map(([name, h]) => [name, col(h, `attr.${name}`)] as const),
  };
}

type Columns = ReturnType<typeof compile>;

/**
 * One copy of each repeated cell. A span table repeats its service, operation and instance names on every
 * row, and a trace's id on each of its rows (usually adjacent); a streamed reader holds up to `idleSpans`
 * spans, and these copies were a third of their heap (Nezha Online Boutique: 200,000 spans held).
 */
class CellInterner {
  private readonly names = new Map<string, string>();
  private traceRaw = '';
  private traceId = '';

  name(s: string): string {
    const seen = this.names.get(s);
    if (seen !== undefined) return seen;
    // Names are open-ended in principle: past this many, stop remembering new ones.
    if (this.names.size < 100_000) this.names.set(s, s);
    return s;
  }

  trace(raw: string, ids: (raw: string, width: 16 | 32) => string): string {
    if (raw !== this.traceRaw) {
      this.traceRaw = raw;
      this.traceId = ids(raw, 32);
    }
    return this.traceId;
  }
}

/** Converts one row; returns a reason instead when it is unreadable. */
function rowToSpan(
  row: string[],
  c: Columns,
  m: CsvMapping,
  ids: (raw: string, width: 16 | 32) => string,
  cells: CellInterner,
): RawSpan | string {
  const traceRaw = row[c.traceId].trim();
  const spanRaw = row[c.spanId].trim();
  if (traceRaw === '') return 'missing traceId';
  if (spanRaw === '') return 'missing spanId';
  const spanId = ids(spanRaw, 16);

  let parentId: string | undefined;
  let links: string[] | undefined;
  if (c.parentId >= 0) {
    let cell = row[c.parentId].trim();
    if (m.parentSep !== undefined && cell.includes(m.parentSep)) {
      const parts = cell
        .split(m.parentSep)
        .map((p) => p.trim())
        .filter((p) => !NO_PARENT.has(p.toLowerCase()));
      cell = parts[0] ?? '';
      if (parts.length > 1) links = parts.slice(1).map((p) => ids(p, 16));
    }
    if (!NO_PARENT.has(cell.toLowerCase())) {
      const p = ids(cell, 16);
      if (!isZeroId(p) && p !== spanId) parentId = p;
    }
  }

  const start = c.start >= 0 ? toMicros(row[c.start].trim(), m.units.start) : undefined;
  const end = c.end >= 0 ? toMicros(row[c.end].trim(), m.units.end) : undefined;
  let duration = c.duration >= 0 ? toMicros(row[c.duration].trim(), m.units.duration) : undefined;
  if (Number.isNaN(start)) return `start "${row[c.start]}" is not a non-negative number`;
  if (Number.isNaN(end)) return `end "${row[c.end]}" is not a non-negative number`;
  if (Number.isNaN(duration)) return `duration "${row[c.duration]}" is not a non-negative number`;
  let begin = start;
  if (begin === undefined && end !== undefined && duration !== undefined) begin = end - duration;
  if (begin === undefined) return 'missing start time';
  if (duration === undefined && end !== undefined) {
    if (end < begin) return `end ${row[c.end]} is before start ${row[c.start]}`;
    duration = end - begin;
  }

  const attributes: Attributes = {};
  for (const [name, i] of c.attrs) if (row[i] !== '') attributes[name] = row[i];
  let kind: SpanKind = 'internal';
  if (c.kind >= 0) kind = kindOf(row[c.kind].trim()) ?? 'internal';

  let error = false;
  let statusMessage: string | undefined;
  const errCell = c.error >= 0 ? row[c.error].trim() : '';
  const errLower = errCell.toLowerCase();
  if (!FALSY.has(errLower)) {
    error = true;
    if (!TRUTHY.has(errLower)) statusMessage = errCell;
  } else if (c.statusCode >= 0) {
    const e = errorOf({ 'http.status_code': row[c.statusCode].trim() });
    error = e.error;
    statusMessage = e.statusMessage;
  }
  if (!error && m.errorMatch && c.statusMessage >= 0 && m.errorMatch.test(row[c.statusMessage])) error = true;
  if (error && statusMessage === undefined && c.statusMessage >= 0 && row[c.statusMessage] !== '')
    statusMessage = row[c.statusMessage];

  const service = c.service >= 0 ? cells.name(stripParts(row[c.service].trim(), m.serviceStrip)) : '';
  const operation = c.operation >= 0 ? cells.name(row[c.operation].trim()) : '';
  const span: RawSpan = {
    traceId: cells.trace(traceRaw, ids),
    spanId,
    parentId,
    service: service === '' ? 'unknown' : service,
    operation: operation === '' ? 'unknown' : operation,
    kind,
    start: begin,
    duration,
    error,
    attributes,
    resource: {},
    events: 0,
  };
  if (statusMessage !== undefined) span.statusMessage = statusMessage;
  if (c.instance >= 0 && row[c.instance].trim() !== '') span.instance = cells.name(row[c.instance].trim());
  if (links) span.links = links;
  return span;
}

/**
 * Reads a span table from a (decompressed) byte stream into the sink. Throws InputError only for problems
 * with the file as a whole (no header, unknown header, bad mapping); bad rows are skipped.
 */
export async function readCsvStream(input: Readable, sink: SpanSink, opts: CsvReadOptions): Promise<void> {
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      const line = (err as { lines?: number } | undefined)?.lines;
      sink.skip(line ? `line ${line}` : 'a row', `unreadable CSV: ${err?.message ?? 'parse error'}`);
      return undefined;
    },
  });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let header: string[] | undefined;
  let columns: Columns | undefined;
  let mapping: CsvMapping | undefined;
  let hashed = false;
  const cells = new CellInterner();
  const ids = (raw: string, width: 16 | 32): string => {
    const hex = normalizeHexId(raw, width);
    if (hex !== undefined) return hex;
    if (!hashed) {
      hashed = true;
      sink.warn(`${opts.file}: ids that are not hex (e.g. "${raw}") were mapped to hex ids by hashing`);
    }
    return hashId(raw, width);
  };

  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    const row = item.record;
    if (!header) {
      header = row.map((h) => h.trim());
      try {
        mapping = resolveMapping(header, opts);
        columns = compile(mapping, header, opts.file);
      } catch (err) {
        // Nothing of this file can be read: release it instead of leaving the source paused mid-pipe.
        input.unpipe(parser);
        input.destroy();
        throw err;
      }
      continue;
    }
    const where = `line ${item.info.lines}`;
    if (row.length !== header.length) {
      sink.skip(where, `expected ${header.length} columns, found ${row.length}`);
      continue;
    }
    const span = rowToSpan(row, columns!, mapping!, ids, cells);
    if (typeof span === 'string') sink.skip(where, span);
    else sink.span(span);
  }
  if (!header) throw new InputError(opts.file, '', 'the span table has no header row');
}
