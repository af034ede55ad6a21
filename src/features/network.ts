import type { Trace } from '../trace/trace.js';
import type { CallPathTable } from './call-paths.js';

/**
 * Time between a client span and the server span it caused, aggregated per call path of the server
 * span: what the wire, queues, proxies and connection pools add to a hop. Only pairs where the server
 * runs in another service count (a service calling itself has no network hop to speak of).
 * Span tables without span kinds (the Nezha data: every span reads as internal) still cross processes:
 * a child in another service under a kind-less parent is taken as a hop too.
 * The gap can be negative when the server span is longer than its client's (residual clock skew,
 * or instrumentation timing the two differently); it is kept as is, since that is itself a signal.
 */
export interface NetworkHop {
  /** Call path id of the server spans. */
  path: number;
  clientService: string;
  serverService: string;
  /** Client/server pairs on this path. */
  count: number;
  /** Sum of (client duration - server duration), µs. */
  totalGapUs: number;
  maxGapUs: number;
}

/** Hops in order of their server call path id. */
export function networkHops(trace: Trace, paths: CallPathTable): NetworkHop[] {
  const { spans, children } = trace;
  const byPath = new Map<number, NetworkHop>();
  for (let i = 0; i < spans.length; i++) {
    const client = spans[i];
    const kindless = client.kind === 'internal';
    if (client.kind !== 'client' && !kindless) continue;
    const kids = children[i];
    for (let k = 0; k < kids.length; k++) {
      const server = spans[kids[k]];
      if (server.service === client.service) continue;
      if (kindless ? server.kind !== 'internal' : server.kind !== 'server') continue;
      const gap = client.duration - server.duration;
      const p = paths.spanPath[kids[k]];
      let hop = byPath.get(p);
      if (hop === undefined) {
        hop = {
          path: p,
          clientService: client.service,
          serverService: server.service,
          count: 0,
          totalGapUs: 0,
          maxGapUs: -Infinity,
        };
        byPath.set(p, hop);
      }
      hop.count++;
      hop.totalGapUs += gap;
      if (gap > hop.maxGapUs) hop.maxGapUs = gap;
    }
  }
  return [...byPath.values()].sort((a, b) => a.path - b.path);
}
