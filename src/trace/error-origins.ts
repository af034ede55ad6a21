import type { Span } from './span.js';
import type { Trace } from './trace.js';

/**
 * Where the trace's errors start: error spans with no error span anywhere below them. Descendants, not only
 * children: instrumentations put spans between a failing call and the span that reports the failure (an
 * Express server span fails with 502 while its request-handler span, which made the failing call, does not),
 * and the span that failed first is still the one below. Computed bottom-up over the pre-order walk.
 */
export function errorOrigins(
  trace: Pick<Trace, 'parent' | 'order'> & { spans: readonly Pick<Span, 'error'>[] },
): Uint8Array {
  const { spans, parent, order } = trace;
  const n = spans.length;
  const below = new Uint8Array(n);
  const origin = new Uint8Array(n);
  for (let k = n - 1; k >= 0; k--) {
    const i = order[k];
    if (spans[i].error && !below[i]) origin[i] = 1;
    const p = parent[i];
    if (p >= 0 && (below[i] || spans[i].error)) below[p] = 1;
  }
  return origin;
}
