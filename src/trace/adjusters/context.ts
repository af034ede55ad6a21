/** What every adjuster gets besides the spans: the trace id and a place to say what it changed. */
export interface AdjustContext {
  traceId: string;
  warn(message: string): void;
  /**
   * Span id -> position in the spans array, once ids are unique (set by dedupeSpanIds, kept by the steps
   * after it, which move neither ids nor spans): every step would otherwise hash every id again. An
   * adjuster run alone builds its own.
   */
  index?: Map<string, number>;
}

/** The context's span index, or a new one for spans whose ids are already unique. */
export function spanIndex(spans: readonly { spanId: string }[], ctx: AdjustContext): Map<string, number> {
  if (ctx.index !== undefined) return ctx.index;
  const index = new Map<string, number>();
  for (let i = 0; i < spans.length; i++) index.set(spans[i].spanId, i);
  return index;
}

export function flag<T extends { adjusted?: string[] }>(span: T, what: string): void {
  if (!span.adjusted) span.adjusted = [];
  if (!span.adjusted.includes(what)) span.adjusted.push(what);
}
