import { z } from 'zod';
import type { SamplingOptions } from './options.js';

/** Probabilities as served from one moment on: what the tracers of a service were told. */
export const ServedSchema = z.object({
  /** Epoch ms from which this was served. */
  at: z.number(),
  defaultProbability: z.number().min(0).max(1),
  operations: z.record(z.string(), z.number().min(0).max(1)),
});
export type Served = z.infer<typeof ServedSchema>;

/**
 * What advising one service remembers between requests: when it last looked, and what it served lately (the
 * last entry is in force). The history turns the traces Tracehound saw back into the traffic the tracers had:
 * a trace seen while its operation was served 1% stands for a hundred.
 */
export const SamplingStateSchema = z.object({
  evaluatedAt: z.number(),
  served: z.array(ServedSchema).min(1),
});
export type SamplingState = z.infer<typeof SamplingStateSchema>;

/** What the probabilities should be now, before smoothing. */
export interface Target {
  defaultProbability: number;
  operations: Map<string, number>;
  /** Operations whose rise is not smoothed: an incident has already waited minutes to be sure. */
  immediate: ReadonlySet<string>;
}

/**
 * The probability an operation was served at `atMs`. Before anything was served, a service was either told
 * the cold start (`unknown`) by an earlier answer nobody kept, or sampled as its tracers were set up, which
 * Tracehound cannot know; taking the cold start errs towards keeping too few traces for a few minutes rather
 * than a hundred times too many.
 */
export function servedProbability(
  state: SamplingState | undefined,
  operation: string,
  atMs: number,
  unknown: number,
): number {
  let inForce: Served | undefined;
  for (const s of state?.served ?? []) if (s.at <= atMs) inForce = s;
  return inForce === undefined ? unknown : (inForce.operations[operation] ?? inForce.defaultProbability);
}

export function current(state: SamplingState): Served {
  return state.served[state.served.length - 1];
}

/**
 * One step from what is served towards the target, on the log scale (probabilities span orders of magnitude):
 * a target within `holdFactor` of it changes nothing, so noise around a level never flaps the strategy;
 * beyond that it moves a share 1 - e^(-dt/τ) of the way, fast when rising (anomalies want traces now),
 * slowly when falling (a quiet minute inside a fault must not drop it).
 */
function step(cur: number, target: number, dtS: number, immediate: boolean, o: SamplingOptions): number {
  const gap = Math.log(target / cur);
  if (Math.abs(gap) <= Math.log(o.holdFactor)) return cur;
  if (gap > 0 && immediate) return target;
  const tau = gap > 0 ? o.riseS : o.fallS;
  return cur * Math.exp(gap * (1 - Math.exp(-dtS / tau)));
}

/** Longest gap between two evaluations that counts: after a long silence the target is taken as it is. */
const MAX_STEP_S = 3600;

/**
 * The next state: every probability stepped towards its target, a new served entry when anything moved, and
 * entries older than `keepMs` dropped (except the one in force at the start of that span). Without a state the
 * target is served as it is.
 */
export function smooth(
  state: SamplingState | undefined,
  target: Target,
  nowMs: number,
  keepMs: number,
  o: SamplingOptions,
): SamplingState {
  const fresh: Served = {
    at: nowMs,
    defaultProbability: target.defaultProbability,
    operations: Object.fromEntries([...target.operations].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  if (state === undefined) return { evaluatedAt: nowMs, served: [fresh] };
  const prev = current(state);
  const dtS = Math.min(MAX_STEP_S, Math.max(0, (nowMs - state.evaluatedAt) / 1000));
  const next: Served = {
    at: nowMs,
    defaultProbability: step(prev.defaultProbability, target.defaultProbability, dtS, false, o),
    operations: {},
  };
  for (const [op, p] of Object.entries(fresh.operations))
    next.operations[op] = step(
      prev.operations[op] ?? prev.defaultProbability,
      p,
      dtS,
      target.immediate.has(op),
      o,
    );
  const moved =
    next.defaultProbability !== prev.defaultProbability ||
    Object.keys(next.operations).length !== Object.keys(prev.operations).length ||
    Object.entries(next.operations).some(([op, p]) => prev.operations[op] !== p);
  const served = moved ? [...state.served, next] : state.served;
  const cut = nowMs - keepMs;
  let first = 0;
  while (first < served.length - 1 && served[first + 1].at <= cut) first++;
  return { evaluatedAt: nowMs, served: served.slice(first) };
}
