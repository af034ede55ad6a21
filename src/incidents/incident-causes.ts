import type { IncidentRootCause } from './incident.js';
import type { RankedService } from './window-causes.js';
import type { Signal } from './signal.js';
import { parseEndpointKey } from '../trace/endpoint-key.js';

/**
 * An incident's root-cause list: the ranked services as causes, then put in the order the signals call for
 * (an entry point's load first, the incident's own suspect first).
 */

/** An entry point's traffic must have grown this many times over its usual to be named the cause. */
const LOAD_FACTOR = 2;

/**
 * When calls into an endpoint jumped (a traffic-jump signal on the endpoint itself, not an edge), that load
 * is the first suspect: every service under it slows or fails because of it, and the window's evidence
 * alone would blame whichever of them buckled first. The endpoint's service goes first with the signal's
 * sentence; the rest keep their order.
 */
export function entryLoadFirst(
  causes: readonly IncidentRootCause[],
  signals: readonly Signal[],
): IncidentRootCause[] {
  let load: Signal | undefined;
  for (const s of signals)
    if (
      s.kind === 'traffic-jump' &&
      s.target.type === 'endpoint' &&
      s.value >= LOAD_FACTOR * s.baseline &&
      (load === undefined || s.strength > load.strength)
    )
      load = s;
  if (load === undefined) return [...causes];
  const ep = parseEndpointKey(load.target.key);
  const service = ep?.service ?? load.target.key;
  const operation = ep?.operation;
  const top = causes[0]?.score ?? 1;
  const rest = causes.filter((c) => c.service !== service);
  const all = [{ service, operation, score: top, evidence: `traffic jumped: ${load.evidence}` }, ...rest];
  const total = all.reduce((a, c) => a + c.score, 0);
  return all.map((c) => ({ ...c, score: total > 0 ? c.score / total : 0 }));
}

export function toRootCauses(ranked: readonly RankedService[], max = 5): IncidentRootCause[] {
  const total = ranked.reduce((a, r) => a + r.score, 0);
  return ranked.slice(0, max).map((r) => ({
    service: r.service,
    operation: r.operation,
    instance: r.instance,
    attribute: r.attribute,
    score: total > 0 ? r.score / total : 0,
    evidence: r.evidence,
  }));
}

/**
 * The incident's suspect first when signals of its own point at it (its spans slower in their own code,
 * errors starting there, calls into it waiting): those signals are why the incident exists, and a ranking
 * that put another service first would page about one fault and name another. A traffic surge at an entry
 * point, when entryLoadFirst named it, stays first: the load explains the suspect too.
 */
export function suspectFirst(
  suspect: string,
  causes: readonly IncidentRootCause[],
  signals: readonly Signal[],
): IncidentRootCause[] {
  const own = signals
    .filter((s) => s.suspect === suspect && s.kind !== 'traffic-jump')
    .sort((a, b) => b.strength - a.strength);
  if (own.length === 0 || causes[0]?.service === suspect || causes[0]?.evidence.startsWith('traffic jumped'))
    return [...causes];
  const had = causes.find((c) => c.service === suspect);
  const top = causes[0]?.score ?? 1;
  const first: IncidentRootCause = {
    ...(had ?? { service: suspect }),
    score: top,
    evidence: own[0].evidence,
  };
  const all = [first, ...causes.filter((c) => c.service !== suspect)];
  const total = all.reduce((a, c) => a + c.score, 0);
  return all.map((c) => ({ ...c, score: total > 0 ? c.score / total : 0 }));
}
