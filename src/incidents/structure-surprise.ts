import type { BaselineModel } from '../detectors/baseline/model.js';
import type { TraceProfile } from '../features/profile.js';

/** A call count seen in fewer than this share of normal traces is a structure change. */
const RARE_COUNT = 0.01;
const MIN_COUNT_HISTORY = 100;

/** Per caller service, the structure surprise of one trace observed and its expectation under normal traffic. */
export interface StructureSurprise {
  observed: Map<string, number>;
  expected: Map<string, number>;
}

/**
 * Structure surprise, blamed on the caller's service. For each call path the endpoint's model knows whose
 * parent path is present, q is how often it appears under that parent; its absence counts q against an
 * expected q(1 - q) (the mean of that count under normal traffic). A path the model never saw under a
 * known parent counts 1 against an expected 0, and so does a path called more often than in 99% of normal
 * traces (against an expected 0.01). Each service counts at most 1 per trace, so one broken
 * trace cannot dominate a window.
 */
export function structureSurprise(
  profile: TraceProfile,
  model: BaselineModel,
): StructureSurprise | undefined {
  const pop = model.endpointModel(profile.endpoint.key);
  if (pop === undefined) return undefined;
  const present = new Set<string>();
  for (const cp of profile.callPaths) present.add(cp.key);
  const observed = new Map<string, number>();
  const expected = new Map<string, number>();
  const bump = (m: Map<string, number>, s: string, v: number) => m.set(s, (m.get(s) ?? 0) + v);
  for (const st of pop.pathList) {
    if (st.parentKey === null || !present.has(st.parentKey)) continue;
    const parent = pop.paths.get(st.parentKey);
    if (parent === undefined || parent.traces === 0) continue;
    const q = Math.min(1, st.traces / parent.traces);
    bump(expected, parent.service, q * (1 - q));
    if (!present.has(st.key)) bump(observed, parent.service, q);
  }
  for (const cp of profile.callPaths) {
    if (cp.parent < 0) continue;
    const caller = profile.callPaths[cp.parent].service;
    const known = pop.paths.get(cp.key);
    if (known === undefined) {
      if (pop.paths.has(profile.callPaths[cp.parent].key)) bump(observed, caller, 1);
      continue;
    }
    // Called more often than almost ever before (retries, N+1): rarer than RARE_COUNT of traces.
    if (known.counts.total < MIN_COUNT_HISTORY) continue;
    bump(expected, caller, RARE_COUNT);
    if (known.counts.tails(cp.count).ge / known.counts.total < RARE_COUNT) bump(observed, caller, 1);
  }
  return { observed, expected };
}
