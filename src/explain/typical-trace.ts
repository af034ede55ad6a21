import { extractProfile, type TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';
import { median } from '../detectors/median.js';

/** The normal trace an anomaly is compared with, and how it was chosen. */
export interface TypicalTrace {
  trace: Trace;
  profile: TraceProfile;
  /** Normal traces it was chosen from. */
  candidates: number;
  /** Of those, how many have its structure (the commonest). */
  sameShape: number;
  /** Median root duration of the candidates, µs. */
  medianUs: number;
}

/**
 * The most typical of an endpoint's normal traces: of the commonest structure (structure signature: the
 * same calls, the same number of times), the one whose root duration is nearest the median of them all.
 *
 * Structure first, because a comparison's "missing" and "new" rows must mean "unlike what this endpoint
 * usually does", not "unlike a rare branch the chosen trace happened to take". Then the median, because its
 * per-call times should be ordinary ones, not a fast cache hit or a slow tail that would make every call of
 * the anomaly look slower or faster than it is. The median is over all candidates, not the shape's own:
 * the question is what the endpoint normally takes. Traces with an error span are left out when any trace
 * without one exists, so that an anomaly's failure is never matched by the normal trace's own.
 * Deterministic: ties go to the smaller trace id, so the same sample always gives the same trace.
 */
export function typicalTrace(traces: readonly Trace[]): TypicalTrace | undefined {
  const all = traces
    .filter((t) => t.spans.length > 0)
    .map((trace) => ({ trace, profile: extractProfile(trace) }));
  const clean = all.filter((c) => c.profile.errorSpans === 0);
  const pool = clean.length > 0 ? clean : all;
  if (pool.length === 0) return undefined;

  const medianUs = median(pool.map((c) => c.profile.rootDurationUs));
  const shapes = new Map<string, typeof pool>();
  for (const c of pool) {
    let g = shapes.get(c.profile.signature);
    if (!g) shapes.set(c.profile.signature, (g = []));
    g.push(c);
  }
  // The commonest shape; between equally common ones, the one holding the trace nearest the median.
  let best: { group: typeof pool; pick: (typeof pool)[number] } | undefined;
  for (const group of shapes.values()) {
    const pick = nearest(group, medianUs);
    if (
      !best ||
      group.length > best.group.length ||
      (group.length === best.group.length && closer(pick, best.pick, medianUs))
    )
      best = { group, pick };
  }
  const { group, pick } = best!;
  return { ...pick, candidates: pool.length, sameShape: group.length, medianUs };
}

type Candidate = { trace: Trace; profile: TraceProfile };

function nearest(group: readonly Candidate[], medianUs: number): Candidate {
  return group.reduce((a, b) => (closer(b, a, medianUs) ? b : a));
}

/** a is nearer the median than b; at equal distance, a has the smaller trace id. */
function closer(a: Candidate, b: Candidate, medianUs: number): boolean {
  const da = Math.abs(a.profile.rootDurationUs - medianUs);
  const db = Math.abs(b.profile.rootDurationUs - medianUs);
  return da < db || (da === db && a.trace.traceId < b.trace.traceId);
}
