/**
 * A backend we pull traces from (Jaeger's query service or Zipkin). The poller only sees this interface, so
 * a stub in tests and a real Jaeger behave the same to it.
 */
import type { Trace } from '../trace/trace.js';

export type SourceKind = 'jaeger-v1' | 'jaeger-v3' | 'zipkin';

export interface SearchQuery {
  service: string;
  /** Span start window, µs since the epoch, both ends inclusive (as Jaeger and Zipkin treat them). */
  startUs: number;
  endUs: number;
  limit: number;
  /**
   * Which of these trace ids are still wanted; the others are dropped before they are read. Optional: a
   * source that cannot tell ids apart before reading returns everything.
   */
  unseen?: (traceIds: string[]) => Promise<string[]>;
  /**
   * Whether an answer of `raw` traces will be used; when not (a full answer the caller will split), the
   * source may skip reading it and return only `raw`. Optional, like `unseen`.
   */
  useful?: (raw: number) => boolean;
}

export interface SearchResult {
  traces: Trace[];
  /**
   * How many traces the backend returned before any were dropped as unreadable. Compared with the limit to
   * tell a full (possibly cut) answer from a complete one, so it must count what the server sent.
   */
  raw: number;
  /** Records the reader skipped, with where and why (first few). */
  skipped: number;
  /** Traces left unread because `unseen` said they were handed on already. */
  known?: number;
  warnings: string[];
}

export interface TraceSource {
  readonly name: string;
  readonly kind: SourceKind;
  services(): Promise<string[]>;
  search(q: SearchQuery): Promise<SearchResult>;
  /** undefined when the backend does not know the trace. */
  trace(id: string): Promise<Trace | undefined>;
  /** A link to the trace in the backend's UI, when a UI URL was configured. */
  link(traceId: string): string | undefined;
  /** Releases connections. */
  close(): Promise<void>;
}

export interface TlsOptions {
  /** PEM contents (not a path) of the CA bundle to trust in addition to nothing else. */
  ca?: string | Buffer;
  /** PEM contents of a client certificate and its key, for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** false accepts any server certificate (self-signed test backends). Default true. */
  rejectUnauthorized?: boolean;
}

export interface SourceOptions {
  /** Name used in keys, metrics and errors; defaults to the kind. */
  name?: string;
  /** The query service root, e.g. http://jaeger:16686 or http://zipkin:9411. user:pass@ becomes basic auth. */
  baseUrl: string;
  /** The UI root for links; defaults to baseUrl for Jaeger and Zipkin, whose UIs share the port. */
  uiUrl?: string;
  /** Extra request headers, e.g. { Authorization: 'Bearer ...' }. */
  headers?: Record<string, string>;
  tls?: TlsOptions;
  /** Whole-request timeout, ms (default 30 000). */
  timeoutMs?: number;
}
