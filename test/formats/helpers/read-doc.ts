import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JsonFormat } from '../../../src/formats/types.js';
import { groupByTrace, normalizeTrace } from '../../../src/trace/normalize.js';
import type { RawSpan } from '../../../src/trace/span.js';
import type { Trace } from '../../../src/trace/trace.js';
import { collectingSink } from './collect.js';

export function fixture(rel: string): unknown {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../fixtures/${rel}`, import.meta.url)), 'utf8'));
}

/** Reads a parsed document with one format and normalizes what it yields, trace by trace. */
export function readDoc(format: JsonFormat, doc: unknown) {
  const sink = collectingSink();
  format.read(doc, sink, '$');
  const traces = new Map<string, Trace>();
  for (const [id, spans] of groupByTrace(sink.spans)) traces.set(id, normalizeTrace(id, spans.map(clone)));
  const byId = new Map<string, RawSpan>();
  for (const s of sink.spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  return { ...sink, traces, byId };
}

/** Adjusters change spans in place; the raw spans stay as the reader made them for assertions. */
function clone(s: RawSpan): RawSpan {
  return { ...s, attributes: { ...s.attributes }, links: s.links ? [...s.links] : undefined };
}
