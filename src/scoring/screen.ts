import { MAD_SCALE, median } from '../detectors/median.js';
import type { TraceProfile } from '../features/profile.js';

/**
 * What training leaves out before it fits anything: the stretches of time in which the training window's
 * own robust statistics say a call path was shifted. A look-back that held a latency fault for a tenth or a
 * fifth of its time otherwise teaches the fault as normal twice over: the baseline's tail spread widens to
 * cover it, and the held-out traces that set the threshold include it, so the threshold rises above the
 * fault and its recurrence goes unflagged (measured on the simulator: 3% of its traces).
 *
 * A fault is concentrated in time, a normal tail is not: so the screen judges stretches, not traces. Per
 * endpoint and call path, the traces that took the path are cut, in time order, into about STRETCHES runs
 * of equal count (so busy and sparse paths, and windows of minutes or of days, are judged alike). Each
 * run's median self time (on the baseline's ln(1 + ms) scale) is compared with the median and MAD of all
 * runs' medians, which stand firm while under half the runs are shifted; the traces of a run beyond K
 * robust deviations are left out. Single slow traces are the baseline's own trim's business: leaving them
 * out here would make their kind, normal but rare, look abnormal afterwards (measured: fault-free flag rate
 * 0.7% -> 1.1%). When more than a third of the runs are shifted, that is a change of normal (a slow period
 * of the day) or a fault covering most of the window, which no statistic of the window can tell apart:
 * nothing is left out.
 */
const K = 6;
/** Smallest spread of run medians, ln(1 + ms) units: a shift smaller than K times this is kept. */
const SCALE_FLOOR = 0.1;
const MAX_SHARE = 1 / 3;
const STRETCHES = 40;
/** Fewest traces in a run, and fewest runs for a path to be judged. */
const MIN_RUN = 5;
const MIN_RUNS = 8;

/** The traces the screen judges: each one's start and, per call path, its self time. */
export interface ScreenSource {
  readonly length: number;
  endpointKey(i: number): string;
  startUs(i: number): number;
  forEachPath(i: number, fn: (key: string, selfTimeUs: number) => void): void;
}

type ScreenProfile = Pick<TraceProfile, 'endpoint' | 'startUs' | 'callPaths'>;

function sourceOf(profiles: readonly ScreenProfile[]): ScreenSource {
  return {
    length: profiles.length,
    endpointKey: (i) => profiles[i].endpoint.key,
    startUs: (i) => profiles[i].startUs,
    forEachPath: (i, fn) => {
      for (const cp of profiles[i].callPaths) fn(cp.key, cp.selfTimeUs);
    },
  };
}

/** Per endpoint and call path: the traces that took it, in time order, and its self time in each. */
function byPath(src: ScreenSource): Map<string, { trace: number; value: number }[]> {
  const out = new Map<string, { trace: number; value: number }[]>();
  for (let i = 0; i < src.length; i++) {
    const ep = src.endpointKey(i);
    src.forEachPath(i, (pathKey, selfTimeUs) => {
      const key = `${ep}\n${pathKey}`;
      let g = out.get(key);
      if (!g) out.set(key, (g = []));
      g.push({ trace: i, value: Math.log1p(selfTimeUs / 1000) });
    });
  }
  for (const g of out.values())
    g.sort((a, b) => src.startUs(a.trace) - src.startUs(b.trace) || a.trace - b.trace);
  return out;
}

/** 1 for each profile the screen marks abnormal. */
export function screenTraining(profiles: readonly ScreenProfile[] | ScreenSource): Uint8Array {
  const src = Array.isArray(profiles) ? sourceOf(profiles) : (profiles as ScreenSource);
  const abnormal = new Uint8Array(src.length);
  for (const path of byPath(src).values()) {
    const size = Math.max(MIN_RUN, Math.ceil(path.length / STRETCHES));
    const runs: (typeof path)[] = [];
    for (let k = 0; k < path.length; k += size) runs.push(path.slice(k, k + size));
    // A short remainder joins the run before it.
    if (runs.length > 1 && runs[runs.length - 1].length < MIN_RUN) runs[runs.length - 2].push(...runs.pop()!);
    if (runs.length < MIN_RUNS) continue;
    const medians = runs.map((r) => median(r.map((x) => x.value)));
    const mid = median(medians);
    const scale = Math.max(MAD_SCALE * median(medians.map((v) => Math.abs(v - mid))), SCALE_FLOOR);
    const shifted = runs.filter((_, k) => medians[k] > mid + K * scale);
    if (shifted.length > MAX_SHARE * runs.length) continue;
    for (const r of shifted) for (const x of r) abnormal[x.trace] = 1;
  }
  return abnormal;
}
