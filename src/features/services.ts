import type { Trace } from '../trace/trace.js';
import type { Interned } from './intern.js';
import { cmp } from './code-unit-order.js';

/** Resource attribute that carries a service's deployed version (OpenTelemetry semantic conventions). */
export const VERSION_ATTRIBUTE = 'service.version';

/**
 * What one service did in a trace. Instances and versions feed spectrum analysis later: which pod or
 * release the anomalous traces share that the normal ones do not.
 */
export interface ServiceStats {
  service: string;
  spans: number;
  errors: number;
  /** Summed self time of its spans, µs. */
  selfTimeUs: number;
  /** µs the service spends on the root's critical path. */
  criticalPathUs: number;
  /** Share of the critical path, 0..1; the shares of all services sum to 1. */
  criticalPathShare: number;
  /** Distinct span.instance values, sorted. */
  instances: string[];
  /** Distinct resource `service.version` values, sorted. */
  versions: string[];
}

/**
 * `cpTime` is per-span critical-path time, summing to `cpTotal` (the root's duration). A zero-length
 * root leaves nothing to share: its service gets the whole (1) so the shares still sum to 1.
 */
export function serviceStats(
  trace: Trace,
  ids: Interned,
  selfTime: Float64Array,
  cpTime: Float64Array,
  cpTotal: number,
): ServiceStats[] {
  const { spans } = trace;
  const m = ids.services.length;
  const count = new Int32Array(m);
  const errors = new Int32Array(m);
  const self = new Float64Array(m);
  const cp = new Float64Array(m);
  const instances: (Set<string> | undefined)[] = new Array(m);
  const versions: (Set<string> | undefined)[] = new Array(m);
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    const sid = ids.spanService[i];
    count[sid]++;
    if (s.error) errors[sid]++;
    self[sid] += selfTime[i];
    cp[sid] += cpTime[i];
    if (s.instance !== undefined) (instances[sid] ??= new Set()).add(s.instance);
    const v = s.resource[VERSION_ATTRIBUTE];
    if (v !== undefined) (versions[sid] ??= new Set()).add(String(v));
  }
  const rootService = trace.root >= 0 ? ids.spanService[trace.root] : -1;
  const out: ServiceStats[] = [];
  for (let sid = 0; sid < m; sid++) {
    out.push({
      service: ids.services[sid],
      spans: count[sid],
      errors: errors[sid],
      selfTimeUs: self[sid],
      criticalPathUs: cp[sid],
      criticalPathShare: cpTotal > 0 ? cp[sid] / cpTotal : sid === rootService ? 1 : 0,
      instances: instances[sid] ? [...instances[sid]!].sort(cmp) : [],
      versions: versions[sid] ? [...versions[sid]!].sort(cmp) : [],
    });
  }
  return out.sort((a, b) => cmp(a.service, b.service));
}
