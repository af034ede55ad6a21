import type { Signal } from './signal.js';
import { serviceOfEndpointKey, splitEdgeKey } from '../trace/endpoint-key.js';

/**
 * Who a minute's signals point at: each signal's suspect, and the grouping of a minute's signals by suspect
 * with consequences folded into the suspect below them that explains them (see tracker.ts for the rules).
 */

/** A flagged trace of the minute, with what it blames first. */
export interface MinuteAnomaly {
  traceId: string;
  score: number;
  endpoint: string;
  /** First root cause's service, when the trace has one. */
  suspect?: string;
}

/**
 * Signals that stand for a service's own misbehaviour: its spans slower in their own code, errors starting
 * in it, calls into it waiting before it picks them up. The others (an endpoint's or an edge's rates and
 * latency, which include everything below them; traffic; early returns; skipped calls) are what a fault
 * further down also produces upstream of it.
 */
export function isOwnEvidence(s: Signal): boolean {
  if (s.target.type === 'service') return s.kind === 'latency-shift' || s.kind === 'error-rate';
  return s.target.type === 'hop';
}

export function downstream(from: string, calls: ReadonlyMap<string, ReadonlySet<string>>): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0)
    for (const c of calls.get(todo.pop()!) ?? [])
      if (!seen.has(c)) {
        seen.add(c);
        todo.push(c);
      }
  return seen;
}

export const strength = (signals: readonly Signal[]) => signals.reduce((a, s) => a + s.strength, 0);

/**
 * The service a signal most likely comes from: the one its detector named; an edge's callee for its errors
 * and latency; whatever an endpoint's flagged traces blame (an edge's anomaly rate says only that flagged
 * traces pass through it, so it is blamed like the minute's flagged traces as a whole).
 */
export function suspectOf(signal: Signal, anomalies: readonly MinuteAnomaly[]): string {
  if (signal.suspect !== undefined) return signal.suspect;
  const { type, key } = signal.target;
  if (type === 'service') return key;
  if (type === 'hop') return key.slice(key.indexOf('->') + 2);
  if (type === 'edge' && signal.kind !== 'anomaly-rate')
    return serviceOfEndpointKey(splitEdgeKey(key).callee);
  const votes = new Map<string, number>();
  for (const a of anomalies)
    if ((type === 'edge' || a.endpoint === key) && a.suspect !== undefined)
      votes.set(a.suspect, (votes.get(a.suspect) ?? 0) + a.score);
  let best: string | undefined;
  let bestVotes = 0;
  for (const [s, v] of votes)
    if (v > bestVotes || (v === bestVotes && best !== undefined && s < best)) {
      best = s;
      bestVotes = v;
    }
  return best ?? serviceOfEndpointKey(type === 'edge' ? splitEdgeKey(key).callee : key);
}

/**
 * This many suspects with evidence of their own in one minute are one event, not as many faults: a node, the
 * network or a surge of load slowed them together (faults are injected, and happen, one or two at a time).
 * A suspect far stronger than the crowd is a fault of its own that happens to fall in such a minute.
 */
const WIDESPREAD = 4;

/**
 * The minute's signals grouped by suspect, consequences folded into the suspect below them that explains
 * them. `open` are the suspects of open incidents: a widespread minute keeps the one already open.
 */
export function groupBySuspect(
  signals: readonly Signal[],
  anomalies: readonly MinuteAnomaly[],
  calls: ReadonlyMap<string, ReadonlySet<string>>,
  open: ReadonlySet<string> = new Set(),
): Map<string, Signal[]> {
  const groups = new Map<string, Signal[]>();
  for (const s of signals) {
    const who = suspectOf(s, anomalies);
    let g = groups.get(who);
    if (g === undefined) groups.set(who, (g = []));
    g.push(s);
  }
  const own = new Map<string, number>();
  for (const [who, g] of groups) own.set(who, strength(g.filter(isOwnEvidence)));
  // Strongest own evidence first, so a consequence goes to the strongest explanation below it.
  const causes = [...own].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (causes.length >= WIDESPREAD) {
    // A fault that stands out of the crowd (twice the minute's median strength) stays its own.
    const strengths = causes.map(([, v]) => v).sort((a, b) => a - b);
    const median = strengths[strengths.length >> 1];
    const standout = new Set(causes.filter(([, v]) => v >= 2 * median).map(([c]) => c));
    const crowd = causes.filter(([c]) => !standout.has(c));
    const key = crowd.find(([c]) => open.has(c))?.[0] ?? crowd[0][0];
    const merged = new Map<string, Signal[]>([[key, []]]);
    for (const [who, g] of groups) {
      const to = standout.has(who) ? who : key;
      (merged.get(to) ?? merged.set(to, []).get(to)!).push(...g);
    }
    return merged;
  }
  for (const [who, g] of [...groups]) {
    if ((own.get(who) ?? 0) > 0) continue;
    const below = downstream(who, calls);
    const cause = causes.find(([c]) => c !== who && below.has(c));
    if (cause === undefined) continue;
    groups.get(cause[0])!.push(...g);
    groups.delete(who);
  }
  return groups;
}
