import { HttpClient, redactUrl } from './http.js';
import type { SearchQuery, SearchResult, SourceKind, SourceOptions, TraceSource } from './source.js';
import type { Trace } from '../trace/trace.js';

/** The UI root for links, without credentials or a trailing slash. Jaeger's and Zipkin's UIs share the API port. */
export function uiBase(opts: Pick<SourceOptions, 'baseUrl' | 'uiUrl'>): string {
  return redactUrl(opts.uiUrl ?? opts.baseUrl).replace(/\/+$/, '');
}

/** What every HTTP-polled backend shares: a name, a client, the UI link and closing. */
export abstract class HttpSource implements TraceSource {
  abstract readonly kind: SourceKind;
  readonly name: string;
  protected readonly http: HttpClient;
  protected readonly ui: string;
  /** The UI's path to one trace, after the UI root. */
  protected abstract readonly tracePath: string;

  constructor(opts: SourceOptions, defaultName: SourceKind) {
    this.name = opts.name ?? defaultName;
    this.http = new HttpClient(opts);
    this.ui = uiBase(opts);
  }

  abstract services(): Promise<string[]>;
  abstract search(q: SearchQuery): Promise<SearchResult>;
  abstract trace(id: string): Promise<Trace | undefined>;

  link(traceId: string): string | undefined {
    return `${this.ui}/${this.tracePath}/${traceId}`;
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
