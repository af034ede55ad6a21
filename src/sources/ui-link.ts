import { redactUrl } from './http.js';
import type { SourceOptions } from './source.js';

/** The UI root for links, without credentials or a trailing slash. Jaeger's and Zipkin's UIs share the API port. */
export function uiBase(opts: Pick<SourceOptions, 'baseUrl' | 'uiUrl'>): string {
  return redactUrl(opts.uiUrl ?? opts.baseUrl).replace(/\/+$/, '');
}
