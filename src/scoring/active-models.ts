import type { Trace } from '../trace/trace.js';
import { endpointKeyOf } from '../trace/endpoint-key.js';
import type { ModelSet, ScoreOptions } from './model-set.js';
import type { ScoredTrace } from './scored-trace.js';
import { errorOnly } from './error-only.js';

/** Where each endpoint's active model set is found (the service's cache over the Redis registry). */
export interface ActiveModels {
  get(endpoint: string): Promise<ModelSet | undefined>;
}

/**
 * Scores traces at once with each endpoint's active model, storing nothing (`POST /v1/score`). An endpoint
 * without a model yet, or a trace without a root span to name its endpoint, gets what needs no model: its
 * error spans.
 */
export async function scoreWithActiveModels(
  models: ActiveModels,
  traces: readonly Trace[],
  opts: ScoreOptions,
): Promise<ScoredTrace[]> {
  const scored: ScoredTrace[] = [];
  for (const t of traces) {
    const m = t.spans[t.root] ? await models.get(endpointKeyOf(t)) : undefined;
    scored.push(...(m ? m.score([t], opts) : [errorOnly(t)]));
  }
  return scored;
}
