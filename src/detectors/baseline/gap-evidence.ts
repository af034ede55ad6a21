import { latencyZ, type Evidence } from './evidence.js';
import { tailSurprise } from './latency-evidence.js';
import { pooledGapKey } from './population.js';
import { addEvidence, type ScoreContext } from './score-context.js';

/**
 * Network hops whose time between the client span and the server span is beyond normal: judged on the
 * endpoint's own gap stats when it saw the hop often enough, else on the pooled stats of the service pair.
 */
export function networkGapEvidence(ctx: ScoreContext): void {
  const { profile, endpoint, o } = ctx;
  const cps = profile.callPaths;
  for (const hop of profile.networkHops) {
    const cp = cps[hop.path];
    let g = endpoint?.gaps.get(hop.key);
    let gSrc: Evidence['source'] = 'endpoint';
    if (g === undefined || g.traces < o.minPathSamples) {
      g = ctx.pooled.gaps.get(pooledGapKey(hop.clientService, hop.serverService, cp.operation));
      gSrc = 'pooled';
    }
    if (g === undefined || g.traces < o.minPathSamples) continue;
    const z = latencyZ(hop.maxGapUs, g.summary!);
    if (z > o.zOffset) {
      addEvidence(
        ctx,
        {
          kind: 'network-gap',
          surprise: z - o.zOffset,
          path: hop.path,
          pathKey: cp.key,
          service: cp.service,
          operation: cp.operation,
          span: ctx.obs.maxDurSpan[hop.path],
          observed: hop.maxGapUs,
          normalP50: g.summary!.p50Us,
          normalP99: g.summary!.p99Us,
          z,
          clientService: hop.clientService,
          serverService: hop.serverService,
          source: gSrc,
        },
        tailSurprise(hop.maxGapUs, g.summary!, o),
      );
    }
  }
}
