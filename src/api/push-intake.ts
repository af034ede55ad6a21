import { readTracePayload } from '../formats/read.js';
import type { ReadReport } from '../formats/report.js';
import type { FormatName } from '../formats/types.js';
import type { PartialSuccess } from '../formats/otlp-proto.js';
import { readOtlpProtoSpans } from '../formats/otlp-proto-spans.js';
import { normalizeTrace } from '../trace/normalize.js';
import type { RawSpan } from '../trace/span.js';
import { timeProblem, windowAround, type TimeWindow } from '../trace/time-window.js';

/** What every push transport (OTLP/HTTP, OTLP/gRPC, Zipkin) shares: reading, checking, buffering. */
export interface PushIntake {
  /**
   * Takes the spans of a push; they wait until their trace settles. Spans read from protobuf carry only the
   * attributes the buffer keeps (KEPT_SPAN_ATTRIBUTES and `keep`); those read from JSON carry all.
   */
  ingest: (spans: RawSpan[]) => Promise<void>;
  /** Span attributes kept beside KEPT_SPAN_ATTRIBUTES (the configured session attributes). */
  keep?: readonly string[];
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
  const window = windowAround((intake.now ?? Date.now)());
  let spans: RawSpan[];
  let report: ReadReport;
  if (format === 'otlp-proto') {
    ({ spans, report } = readOtlpProtoSpans(body, { window, keep: intake.keep }));
    spans = withInferredTimes(spans, window, report);
  } else {
    const read = readTracePayload(body, { format, window });
    report = read.report;
    spans = read.traces.flatMap((t) => t.spans);
  }
  for (const [reason, n] of report.skippedBy) intake.onRejected?.(route, reason, n);
  if (spans.length > 0) await intake.ingest(spans);
  return report;
}

/**
 * Spans without a start or an end get their times inferred from their trace (as a whole export would have
 * them), and a trace whose inferred times fall outside the window is skipped and counted, span by span
 * (a trace without any time would otherwise be read as 1970). Spans with both times pass as they are: their
 * trace is normalized once, whole, when it has settled.
 */
function withInferredTimes(spans: RawSpan[], window: TimeWindow, report: ReadReport): RawSpan[] {
  const untimed = new Set<string>();
  for (const s of spans) if (s.start === undefined || s.duration === undefined) untimed.add(s.traceId);
  if (untimed.size === 0) return spans;
  const out: RawSpan[] = [];
  const partial = new Map<string, RawSpan[]>();
  for (const s of spans) {
    if (!untimed.has(s.traceId)) out.push(s);
    else if (partial.has(s.traceId)) partial.get(s.traceId)!.push(s);
    else partial.set(s.traceId, [s]);
  }
  for (const [traceId, list] of partial) {
    const t = normalizeTrace(traceId, list);
    const problem = timeProblem(t.start, t.end - t.start, window);
    if (!problem) {
      out.push(...t.spans);
      continue;
    }
    for (const s of t.spans)
      report.skip('request body', `span ${s.spanId} of trace ${traceId}`, problem.message, problem.reason);
    report.spans -= t.spans.length;
  }
  return out;
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
