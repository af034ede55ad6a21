import { formatMs, formatPercent } from './format.js';
import type { LatencyBlame } from './latency.js';

/** At least this many services must share the slowdown for it to read as load rather than one fault. */
const MIN_SERVICES = 3;
/** ...and no one service may carry more than this share of the excess time. */
const MAX_TOP_SHARE = 0.5;

export interface DiffuseSlowdown {
  /** Share of the latency blame that belongs to the request path as a whole, 0..1. */
  share: number;
  evidence: string;
}

/**
 * A slowdown spread thinly over many services (each waiting a little longer in its queues) is what more
 * traffic looks like from inside one trace: no service is at fault, the load entering at the endpoint is
 * the common factor. Returns the share of the blame that belongs to the endpoint, or undefined when one
 * service carries most of the excess (a fault of that service, however many others wait on it).
 */
export function diffuseSlowdown(blames: readonly LatencyBlame[]): DiffuseSlowdown | undefined {
  const byService = new Map<string, number>();
  let total = 0;
  for (const b of blames) {
    if (b.kind !== 'latency' || b.excessUs <= 0) continue;
    byService.set(b.service, (byService.get(b.service) ?? 0) + b.excessUs);
    total += b.excessUs;
  }
  if (byService.size < MIN_SERVICES || total <= 0) return undefined;
  let top = 0;
  for (const v of byService.values()) if (v > top) top = v;
  const topShare = top / total;
  if (topShare > MAX_TOP_SHARE) return undefined;
  return {
    share: 1 - topShare,
    evidence: `the slowdown (${formatMs(total)} of excess self time) is spread over ${byService.size} services, none with more than ${formatPercent(topShare)} of it: queues grew along the whole request path, as under a traffic surge at this endpoint, rather than in one service.`,
  };
}
