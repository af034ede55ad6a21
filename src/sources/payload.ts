/** Turns a backend's answer into traces with our readers, the format forced (no guessing on a known API). */
import { readTraceDocument, readTracePayload } from '../formats/read.js';
import { InputError, type FormatName } from '../formats/types.js';
import type { Trace } from '../trace/trace.js';
import { SourceError, type HttpResponse } from './http.js';

export interface ParsedTraces {
  traces: Trace[];
  skipped: number;
  warnings: string[];
}

export function parseTraces(res: HttpResponse, format: FormatName): ParsedTraces {
  try {
    const { traces, report } = readTracePayload(res.body, { format });
    return { traces, skipped: report.skipped, warnings: report.warnings };
  } catch (err) {
    if (err instanceof InputError)
      throw new SourceError(`GET ${res.url}: ${err.message}`, res.url, res.status, false);
    throw err;
  }
}

/** Picks the trace asked for out of a by-id answer; ids are compared left-padded, as widths vary. */
export function pickTrace(traces: Trace[], id: string): Trace | undefined {
  const want = id.toLowerCase().padStart(32, '0');
  return traces.find((t) => t.traceId === want) ?? (traces.length === 1 ? traces[0] : undefined);
}

/** Reads an answer already parsed (see `keepUnseen`), naming the URL when it is not what the format expects. */
export function parseTraceDocument(res: HttpResponse, doc: unknown, format: FormatName): ParsedTraces {
  try {
    const { traces, report } = readTraceDocument(doc, format, {}, `GET ${res.url}`);
    return { traces, skipped: report.skipped, warnings: report.warnings };
  } catch (err) {
    if (err instanceof InputError)
      throw new SourceError(`GET ${res.url}: ${err.message}`, res.url, res.status, false);
    throw err;
  }
}

/** Trace ids compare lowercase and left-padded to 32 hex digits, as the trace model keeps them. */
export function canonicalTraceId(id: string): string {
  return id.toLowerCase().padStart(32, '0');
}

/**
 * The records of an answer whose trace the poller has not handed on yet, so only they are normalized: a
 * trace crossing several services is found by each of their pollers, and overlapping windows find it again.
 * A record without a readable id is kept (the reader reports what is wrong with it).
 */
export async function keepUnseen<T>(
  records: T[],
  idOf: (r: T) => unknown,
  unseen: ((ids: string[]) => Promise<string[]>) | undefined,
): Promise<{ kept: T[]; known: number }> {
  if (!unseen || records.length === 0) return { kept: records, known: 0 };
  const ids = records.map((r) => {
    const id = idOf(r);
    return typeof id === 'string' && id !== '' ? canonicalTraceId(id) : undefined;
  });
  const fresh = new Set(await unseen([...new Set(ids.filter((x): x is string => x !== undefined))]));
  const kept = records.filter((_, i) => ids[i] === undefined || fresh.has(ids[i]!));
  return { kept, known: records.length - kept.length };
}
