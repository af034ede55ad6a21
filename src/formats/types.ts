import type { RawSpan } from '../trace/span.js';

export const FORMAT_NAMES = [
  'jaeger-v1',
  'jaeger-v3',
  'jaeger-api-v2',
  'zipkin-v2',
  'zipkin-v1',
  'otlp-json',
  'otlp-proto',
  'csv',
] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

/**
 * Where readers put what they read. A reader never throws on bad data inside a document: it skips the
 * record, says what and where, and goes on, so one malformed trace never loses the others.
 */
export interface SpanSink {
  span(span: RawSpan): void;
  /**
   * A record (span, trace, line, row) could not be read; `where` locates it (file:line, JSON path...).
   * `reason` is a short code for counting (default `malformed`).
   */
  skip(where: string, message: string, reason?: string): void;
  /** Something was read but is worth saying (Jaeger's trace warnings, a field that was ignored). */
  warn(message: string): void;
}

/** A reader of a format that arrives as one parsed JSON document (or one NDJSON line). */
export interface JsonFormat {
  name: FormatName;
  /** True when the parsed value looks like this format. Cheap: looks at the top-level shape only. */
  matches(doc: unknown): boolean;
  read(doc: unknown, sink: SpanSink, where: string): void;
  /** What a body posted to this format's own endpoint may be (default: what `matches`); the rest is a 400. */
  accepts?(doc: unknown): boolean;
  /**
   * Each element of the document's record array holds whole traces (a Jaeger trace list): once an element
   * is read its traces are complete and can go on at once instead of waiting for the end of the file.
   */
  recordsAreTraces?: boolean;
}

/** Thrown when nothing at all could be read from an input: says which file, where, and what was expected. */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly position: string,
    message: string,
  ) {
    super(`${file}${position ? ` (${position})` : ''}: ${message}`);
    this.name = 'InputError';
  }
}
