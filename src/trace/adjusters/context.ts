/** What every adjuster gets besides the spans: the trace id and a place to say what it changed. */
export interface AdjustContext {
  traceId: string;
  warn(message: string): void;
}

export function flag<T extends { adjusted?: string[] }>(span: T, what: string): void {
  if (!span.adjusted) span.adjusted = [];
  if (!span.adjusted.includes(what)) span.adjusted.push(what);
}
