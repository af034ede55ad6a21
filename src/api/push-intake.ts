import { readTracePayload } from '../formats/read.js';
import type { ReadReport } from '../formats/report.js';
import type { FormatName } from '../formats/types.js';
import type { PartialSuccess } from '../formats/otlp-proto.js';
import type { Trace } from '../trace/trace.js';
import { windowAround } from '../trace/time-window.js';

/** What every push transport (OTLP/HTTP, OTLP/gRPC, Zipkin) shares: reading, checking, buffering. */
export interface PushIntake {
  /** Takes the spans of a push; they wait until their trace settles. */
  ingest: (traces: Trace[]) => Promise<void>;
  /** True when the push buffer is over its bound: the push is refused as retryable. */
  overloaded?: () => Promise<boolean>;
  /** Counts rejected spans per route and reason (for /metrics). */
  onRejected?: (route: string, reason: string, spans: number) => void;
  now?: () => number;
}

export class PushOverloadedError extends Error {
  override name = 'PushOverloadedError';
}

/**
 * Reads a decoded push body and hands its trusted spans on. Spans with unreadable ids or times, a start
 * outside a week before to an hour after now, or over a day long are dropped and counted; the good spans of
 * the same request are kept. Throws InputError when nothing in the body can be read, PushOverloadedError
 * when the buffer is full.
 */
export async function takePush(
  intake: PushIntake,
  route: string,
  body: Buffer,
  format: FormatName,
): Promise<ReadReport> {
  if (intake.overloaded && (await intake.overloaded()))
    throw new PushOverloadedError('the push buffer is full');
  const { traces, report } = readTracePayload(body, {
    format,
    window: windowAround((intake.now ?? Date.now)()),
  });
  for (const [reason, n] of report.skippedBy) intake.onRejected?.(route, reason, n);
  if (traces.length > 0) await intake.ingest(traces);
  return report;
}

/** OTLP's partial success: how many spans were dropped, by reason, with the first few places. */
export function partialOf(report: ReadReport): PartialSuccess | undefined {
  if (report.skipped === 0) return undefined;
  const reasons = [...report.skippedBy].map(([r, n]) => `${n} ${r}`).join(', ');
  return {
    rejectedSpans: report.skipped,
    errorMessage: `${reasons}: ${report.skipSamples.slice(0, 3).join('; ')}`,
  };
}
