import type { Evidence } from '../detectors/baseline/evidence.js';
import type { TraceProfile } from '../features/profile.js';
import type { SpanKind } from '../trace/span.js';
import type { Trace } from '../trace/trace.js';
import { formatMs } from './format.js';

/** Which end of a slow hop the delay is blamed on, and the sentence that says why. */
export interface GapSide {
  side: 'client' | 'server';
  reason: string;
}

/** Where a hop's wait sat, µs: before the server span began, and after it ended. */
interface GapWait {
  beforeUs: number;
  afterUs: number;
}

/**
 * Decides, for each abnormal client/server gap of one trace, whether the delay sits with the caller or the
 * callee. One hop cannot tell: the gap is the same whether the caller's outgoing traffic or the callee's
 * incoming traffic was held up. The rest of the trace can:
 *
 * - a caller with abnormal gaps towards several distinct services is the common factor (its egress is slow,
 *   or a client-side proxy, pool or injected delay holds every call it makes), so it is blamed;
 * - a callee with abnormal gaps from several distinct callers is the common factor, so it is blamed;
 * - a service late on more of its hops than the other end, as caller and as callee together, is the common
 *   factor: a service whose sending is held up (its egress, a sidecar) delays the calls it makes and the
 *   answers it gives, while each of its peers is late on one hop;
 * - with one abnormal hop, an end whose other hops in the trace are normal is exonerated: a caller that
 *   reaches other services at normal speed is not slow at sending, so the callee (or that one edge) is;
 * - with nothing to compare, the end whose own spans are also slow in this trace (the callee's other
 *   spans slower means its process is struggling; the caller's, that it is);
 * - failing all of that, the callee. A call that waited before its server span started was most often
 *   queued at the server: a blocked event loop, a full thread pool, a delay on its network interface.
 *   A caller-side hold-up (its CPU, its connection pool) delays its other calls too, which the first rule
 *   sees. Measured on the Nezha TrainTicket faults (network delays and CPU contention, 21 of them), the
 *   waiting sat on calls into the faulty service in every case.
 */
export class GapAttribution {
  /** Distinct servers each client has abnormal gaps to, and distinct clients each server has them from. */
  private readonly badServers = new Map<string, Set<string>>();
  private readonly badClients = new Map<string, Set<string>>();
  /** Distinct servers each client reaches, and distinct clients each server is reached from. */
  private readonly allServers = new Map<string, Set<string>>();
  private readonly allClients = new Map<string, Set<string>>();
  /** Distinct services each service has abnormal gaps with, as caller or as callee. */
  private readonly badPartners = new Map<string, Set<string>>();

  /**
   * Services with spans slow in their own code in the trace (self time; a client span's own time is its
   * wire, and a duration includes the waiting, so neither says the process itself struggled).
   */
  private readonly slowServices = new Set<string>();

  constructor(
    private readonly trace: Trace,
    private readonly profile: TraceProfile,
    evidence: readonly Evidence[],
  ) {
    for (const e of evidence) {
      if (e.kind === 'self-time' && e.span >= 0 && !isCall(trace.spans[e.span].kind))
        this.slowServices.add(e.service);
      if (e.kind !== 'network-gap' || e.clientService === undefined || e.serverService === undefined)
        continue;
      add(this.badServers, e.clientService, e.serverService);
      add(this.badClients, e.serverService, e.clientService);
      add(this.badPartners, e.clientService, e.serverService);
      add(this.badPartners, e.serverService, e.clientService);
    }
    for (const h of profile.networkHops) {
      add(this.allServers, h.clientService, h.serverService);
      add(this.allClients, h.serverService, h.clientService);
    }
  }

  /** `path`: the call path of the hop's server spans, to say where the wait sat when nothing else decides. */
  side(client: string, server: string, path: number): GapSide {
    const cBad = this.badServers.get(client)?.size ?? 0;
    const sBad = this.badClients.get(server)?.size ?? 0;
    if (cBad > sBad)
      return { side: 'client', reason: `${client}'s calls to ${cBad} services are slow in this trace` };
    if (sBad > cBad)
      return { side: 'server', reason: `calls from ${sBad} services to ${server} are slow in this trace` };
    const cAny = this.badPartners.get(client)?.size ?? 0;
    const sAny = this.badPartners.get(server)?.size ?? 0;
    if (cAny > sAny)
      return { side: 'client', reason: `${client} is late on ${cAny} of its hops in this trace` };
    if (sAny > cAny)
      return { side: 'server', reason: `${server} is late on ${sAny} of its hops in this trace` };
    const cFine = (this.allServers.get(client)?.size ?? 0) - cBad;
    const sFine = (this.allClients.get(server)?.size ?? 0) - sBad;
    if (cFine > 0 && sFine === 0)
      return { side: 'server', reason: `${client}'s calls to other services are at normal speed` };
    if (sFine > 0 && cFine === 0)
      return { side: 'client', reason: `other callers reach ${server} at normal speed` };
    const sSlow = this.slowServices.has(server);
    if (this.slowServices.has(client) && !sSlow)
      return { side: 'client', reason: `${client}'s own spans are slow in this trace too` };
    if (sSlow) return { side: 'server', reason: `${server}'s own spans are slow in this trace too` };
    // Said as measured, so that it can be checked on the trace: the wait may sit on either side of the span.
    const wait = gapWait(this.trace, this.profile, path);
    const where = wait
      ? `${formatMs(wait.beforeUs)} of it before the server span began and ${formatMs(wait.afterUs)} after it ended; `
      : '';
    return {
      side: 'server',
      reason: `${where}nothing else in the trace points at either end, and a call that waits was most often queued at the server`,
    };
  }
}

/**
 * The wait of the call on `path` whose client-to-server gap is largest (the one the evidence measured),
 * split around its server span. Clock skew left after normalization is clamped, so the parts sum to the gap.
 */
function gapWait(trace: Trace, profile: TraceProfile, path: number): GapWait | undefined {
  let best: GapWait | undefined;
  let bestGap = -1;
  for (let i = 0; i < trace.spans.length; i++) {
    if (profile.spanCallPath[i] !== path) continue;
    const p = trace.parent[i];
    if (p < 0 || !isCall(trace.spans[p].kind)) continue;
    const client = trace.spans[p];
    const server = trace.spans[i];
    const gap = client.duration - server.duration;
    if (gap <= bestGap) continue;
    bestGap = gap;
    const beforeUs = Math.min(Math.max(0, server.start - client.start), Math.max(0, gap));
    best = { beforeUs, afterUs: Math.max(0, gap - beforeUs) };
  }
  return best;
}

const isCall = (kind: SpanKind) => kind === 'client' || kind === 'producer';

function add(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (s === undefined) m.set(k, (s = new Set()));
  s.add(v);
}
