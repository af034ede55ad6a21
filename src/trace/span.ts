/**
 * The normalized span: every wire format is turned into this one shape.
 * Times are integer microseconds since the Unix epoch (Jaeger's and Zipkin's native unit).
 */

export const SPAN_KINDS = ['server', 'client', 'producer', 'consumer', 'internal'] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];

/**
 * Attribute values keep their type. int64 values outside the safe-integer range stay decimal strings
 * (precision would be lost as numbers); binary values stay base64 strings.
 */
export type AttributeValue = string | number | boolean | AttributeValue[];
export type Attributes = Record<string, AttributeValue>;

export interface Span {
  /** Lowercase hex, left-padded to 32 characters. */
  traceId: string;
  /** Lowercase hex, left-padded to 16 characters. */
  spanId: string;
  /** The CHILD_OF parent's span id (16 hex), undefined for a root. */
  parentId?: string;
  service: string;
  operation: string;
  kind: SpanKind;
  /** Start, µs since the epoch. */
  start: number;
  /** Duration, µs, never negative. */
  duration: number;
  error: boolean;
  statusMessage?: string;
  /** Span-level attributes (tags). */
  attributes: Attributes;
  /** Resource (process) attributes: host, pod, version and the like. */
  resource: Attributes;
  /** Count of events (OTLP) or logs (Jaeger) or annotations (Zipkin). */
  events: number;
  /** Where the span ran (pod, host or IP), when the source says. */
  instance?: string;
  /** Span ids this span FOLLOWS_FROM or links to, within or outside the trace. */
  links?: string[];
  /** Set by adjusters: which fields were inferred or moved, for the quality report. */
  adjusted?: SpanAdjustment[];
}

export type SpanAdjustment =
  'start-inferred' | 'duration-inferred' | 'clock-skew' | 'id-deduped' | 'cycle-broken';

/** A span as a reader produces it, before adjusters fill gaps: timing may be missing (Zipkin allows it). */
export interface RawSpan extends Omit<Span, 'start' | 'duration'> {
  start?: number;
  duration?: number;
  /** Zipkin's `shared` flag: the server half of a span whose id the client half also uses. */
  shared?: boolean;
}
