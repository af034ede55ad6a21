import type { Trace } from '../trace/trace.js';
import { trainModelSet, type TrainOptions } from '../scoring/train.js';
import type { ModelSet } from '../scoring/model-set.js';
import type { ModelRegistry } from '../registry/redis-registry.js';
import type { TraceReservoir } from '../store/reservoir.js';
import { Prng } from '../detectors/prng.js';

export interface TrainOutcome {
  endpoint: string;
  version?: number;
  promoted: boolean;
  reason: string;
}

/** How far a model's flag rate on held-out normal traffic is from the rate it was asked for: lower is better. */
function fprError(model: ModelSet, heldOut: Trace[]): number {
  if (heldOut.length === 0) return 0;
  const flagged = model.score(heldOut).filter((s) => s.anomalous).length;
  return Math.abs(flagged / heldOut.length - model.manifest.targetFpr);
}

/**
 * Trains one endpoint's model from its reservoir. A new version is published, and made active only when the
 * endpoint has none or it does at least as well as the active one on the same held-out traffic (its false-
 * positive rate closer to the target; a small tolerance keeps noise from blocking every retrain).
 */
export async function trainEndpoint(
  endpoint: string,
  deps: { reservoir: TraceReservoir; registry: ModelRegistry; minTraces: number; train?: TrainOptions },
): Promise<TrainOutcome> {
  const sample = await deps.reservoir.sample(endpoint);
  if (sample.length < deps.minTraces)
    return {
      endpoint,
      promoted: false,
      reason: `${sample.length} traces in the reservoir, ${deps.minTraces} needed`,
    };
  const order = new Prng(deps.train?.seed ?? 1).shuffle(sample.slice());
  const cut = Math.floor(order.length * 0.8);
  const fit = order.slice(0, cut);
  const heldOut = order.slice(cut);
  const candidate = await trainModelSet(fit, {
    minEndpointTraces: Math.min(200, Math.floor(fit.length / 2)),
    ...deps.train,
  });
  try {
    const activeVersion = await deps.registry.activeVersion(endpoint);
    const newErr = fprError(candidate, heldOut);
    let promoted = activeVersion === undefined;
    let reason = promoted ? 'first model of this endpoint' : '';
    if (activeVersion !== undefined) {
      const active = await deps.registry.load(endpoint, activeVersion).catch(() => undefined);
      if (!active) {
        promoted = true;
        reason = `active v${activeVersion} could not be loaded`;
      } else {
        const oldErr = fprError(active, heldOut);
        active.dispose();
        promoted = newErr <= oldErr + 0.005;
        reason = `held-out false-positive error ${newErr.toFixed(4)} vs active ${oldErr.toFixed(4)}`;
      }
    }
    const version = await deps.registry.publish(endpoint, candidate, reason);
    if (promoted) await deps.registry.activate(endpoint, version);
    return { endpoint, version, promoted, reason };
  } finally {
    candidate.dispose();
  }
}
