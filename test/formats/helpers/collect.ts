import type { RawSpan } from '../../../src/trace/span.js';
import type { SpanSink } from '../../../src/formats/types.js';

/** A sink that keeps everything it is given, for assertions. */
export function collectingSink(): SpanSink & { spans: RawSpan[]; skips: string[]; warnings: string[] } {
  const spans: RawSpan[] = [];
  const skips: string[] = [];
  const warnings: string[] = [];
  return {
    spans,
    skips,
    warnings,
    span: (s) => void spans.push(s),
    skip: (where, message) => void skips.push(`${where}: ${message}`),
    warn: (message) => void warnings.push(message),
  };
}
