import type { Anomaly } from './anomaly-record.js';
import { dimIndex, endpointName, globalIndex, serviceName, timeMs } from './anomaly-keys.js';
import { QueryError, decodeCursor, encodeTime, type Order } from './sort-key.js';
import { surpriseOf } from '../scoring/rank.js';
import { parseEndpointKey } from '../trace/endpoint-key.js';

export interface AnomalyQuery {
  order?: Order;
  service?: string;
  operation?: string;
  /** An endpoint key, `service:operation` (see endpoint-key.ts). */
  endpoint?: string;
  /** Trace start bounds, epoch ms, inclusive. */
  from?: number;
  to?: number;
  minScore?: number;
  /** At least this surprise (-log10 tail probability; see rank.ts for records without one). */
  minSurprise?: number;
  rootCauseService?: string;
  /** Default 50, at most 500. */
  limit?: number;
  cursor?: string;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface QueryPlan {
  order: Order;
  limit: number;
  /** The index to read, and its lex bounds (highest first from max). */
  key: string;
  min: string;
  max: string;
  /** Filters the index cannot apply. */
  keep: (a: Anomaly) => boolean;
}

/**
 * Which index answers a query, how far to read it, and what to filter in memory. Undefined when the query
 * contradicts itself and matches nothing.
 */
export function planQuery(q: AnomalyQuery): QueryPlan | undefined {
  const order = q.order ?? 'score';
  const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(q.limit ?? DEFAULT_LIMIT)));
  let service = q.service;
  let operation = q.operation;
  if (q.endpoint !== undefined) {
    const ep = parseEndpointKey(q.endpoint);
    if (ep === undefined)
      throw new QueryError('endpoint', `endpoint "${q.endpoint}" must be service:operation`);
    // An endpoint that contradicts service/operation matches nothing, rather than silently one of them.
    if (
      (service !== undefined && service !== ep.service) ||
      (operation !== undefined && operation !== ep.operation)
    )
      return undefined;
    service = ep.service;
    operation = ep.operation;
  }
  const key =
    service !== undefined && operation !== undefined
      ? dimIndex('ep', endpointName(service, operation), order)
      : service !== undefined
        ? dimIndex('svc', serviceName(service), order)
        : q.rootCauseService !== undefined
          ? dimIndex('rc', serviceName(q.rootCauseService), order)
          : globalIndex(order);

  // Lex bounds, highest first. Range filters on the order's own dimension narrow the scan itself.
  let max = '+';
  let min = '-';
  if (order === 'time' && q.from !== undefined) min = '[' + encodeTime(q.from);
  if (order === 'time' && q.to !== undefined) max = '(' + encodeTime(q.to + 1);
  if (q.cursor !== undefined) {
    const last = decodeCursor(q.cursor, order);
    if (max === '+' || last < max.slice(1)) max = '(' + last;
  }

  const keep = (a: Anomaly): boolean => {
    if (service !== undefined && a.service !== service) return false;
    if (operation !== undefined && a.operation !== operation) return false;
    if (q.minScore !== undefined && a.score < q.minScore) return false;
    if (q.minSurprise !== undefined && surpriseOf(a) < q.minSurprise) return false;
    const t = timeMs(a);
    if (q.from !== undefined && t < q.from) return false;
    if (q.to !== undefined && t > q.to) return false;
    if (q.rootCauseService !== undefined && !a.rootCauses.some((c) => c.service === q.rootCauseService))
      return false;
    return true;
  };

  return { order, limit, key, min, max, keep };
}
