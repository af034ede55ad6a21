/** Turns a backend's answer into traces with our readers, the format forced (no guessing on a known API). */
import { readTracePayload } from '../formats/read.js';
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
