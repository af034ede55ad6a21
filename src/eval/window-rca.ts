/**
 * An interim incident-level root-cause ranking for one time window (until the incidents module exists):
 *
 *   rank(service) = causeShare(service) + SPECTRUM_WEIGHT * spectrumShare(service)
 *
 * causeShare: the per-trace root causes of the window's anomalous traces, each weighted by trace score x
 * contribution, summed per service and normalised to sum 1. spectrumShare: how much more often the service
 * appears in anomalous than in normal traces of the same window (the Ochiai coefficient of spectrum-based fault
 * localisation), normalised to sum 1; it catches faults whose traces look wrong as a whole but whose per-trace
 * blame is diffuse. When the model flags too few traces, the highest-scored ones stand in for the anomalous
 * set, so every window gets a ranking.
 */
import type { ScoredTrace } from '../scoring/scored-trace.js';

export const SPECTRUM_WEIGHT = 0.5;
/** At least this many (or this share of) traces are taken as the anomalous set. */
const MIN_ANOMALOUS = 3;
const MIN_ANOMALOUS_SHARE = 0.1;

export interface WindowTrace {
  scored: ScoredTrace;
  /** Every service the trace passed through. */
  services: ReadonlySet<string>;
}

export interface RankedService {
  service: string;
  score: number;
  cause: number;
  spectrum: number;
}

function normalise(m: Map<string, number>): Map<string, number> {
  let sum = 0;
  for (const v of m.values()) sum += v;
  if (sum > 0) for (const [k, v] of m) m.set(k, v / sum);
  return m;
}

/** The anomalous set: flagged traces, topped up with the highest-scored ones when there are too few. */
export function anomalousSet(traces: readonly WindowTrace[]): boolean[] {
  const flagged = traces.map((t) => t.scored.anomalous);
  const want = Math.min(
    traces.length,
    Math.max(MIN_ANOMALOUS, Math.ceil(traces.length * MIN_ANOMALOUS_SHARE)),
  );
  let have = flagged.filter(Boolean).length;
  if (have >= want) return flagged;
  const byScore = traces
    .map((t, i) => i)
    .filter((i) => !flagged[i])
    .sort((a, b) => traces[b].scored.score - traces[a].scored.score || a - b);
  for (const i of byScore) {
    if (have >= want) break;
    flagged[i] = true;
    have++;
  }
  return flagged;
}

export function rankWindow(traces: readonly WindowTrace[]): RankedService[] {
  const anomalous = anomalousSet(traces);
  const cause = new Map<string, number>();
  const inAnomalous = new Map<string, number>();
  const inNormal = new Map<string, number>();
  let nAnomalous = 0;
  traces.forEach((t, i) => {
    const counts = anomalous[i] ? inAnomalous : inNormal;
    for (const s of t.services) counts.set(s, (counts.get(s) ?? 0) + 1);
    if (!anomalous[i]) return;
    nAnomalous++;
    for (const c of t.scored.rootCauses)
      cause.set(c.service, (cause.get(c.service) ?? 0) + t.scored.score * c.contribution);
  });
  normalise(cause);
  const spectrum = new Map<string, number>();
  for (const [s, a] of inAnomalous) {
    const n = inNormal.get(s) ?? 0;
    spectrum.set(s, a / Math.sqrt(nAnomalous * (a + n)));
  }
  normalise(spectrum);
  const services = new Set([...cause.keys(), ...spectrum.keys()]);
  return [...services]
    .map((service) => {
      const c = cause.get(service) ?? 0;
      const sp = spectrum.get(service) ?? 0;
      return { service, score: c + SPECTRUM_WEIGHT * sp, cause: c, spectrum: sp };
    })
    .sort((a, b) => b.score - a.score || (a.service < b.service ? -1 : 1));
}
