import type { BaselineModel } from '../detectors/baseline/model.js';
import { parseEndpointKey } from '../trace/endpoint-key.js';

/**
 * An endpoint's learned latency threshold: the 99th percentile of its root span's duration in the baseline
 * (its own model, else the operation's pooled one), µs; undefined when the model never saw it.
 */
export function learnedP99Us(baseline: BaselineModel, endpoint: string): number | undefined {
  const ep = parseEndpointKey(endpoint);
  if (ep === undefined) return undefined;
  // The root call path's key is its endpoint's key (call-paths.ts labels each hop with one).
  const p99 = baseline.pathStats(endpoint, endpoint, ep.service, ep.operation)?.durSummary?.p99Us;
  return p99 !== undefined && p99 > 0 ? p99 : undefined;
}
