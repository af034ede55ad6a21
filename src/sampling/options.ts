/** How sampling advice is computed. The budget comes from the configuration; the rest are defaults. */
export interface SamplingOptions {
  /** Traces per second each service may keep, its operations together. */
  budgetTps: number;
  /** Traces per second every operation keeps at least, whatever the budget (one a minute by default). */
  floorTps: number;
  /** No probability goes below this (Jaeger's adaptive sampler uses the same lower limit). */
  minProbability: number;
  /** What a service Tracehound has never seen nor advised is told (see README, "Sampling advice"). */
  coldStartProbability: number;
  /** Minutes of traffic a rate is measured over. */
  windowMinutes: number;
  /** Minutes before the window that say what an operation's normal anomaly rate is. */
  historyMinutes: number;
  /** How long after its end a minute holds all its traces, ms (the incident job's delay). */
  completeAfterMs: number;
  /** The share of normal traffic the models flag: the normal anomaly rate before any history. */
  targetFpr: number;
  /** Pseudo-traces that pull a measured anomaly rate towards its normal (small samples say little). */
  shrinkTraces: number;
  /** An operation whose anomaly rate is this many times its normal is served before the healthy ones. */
  anomalousLift: number;
  /** Time constants of the smoothing, s: rising (fast), falling (slow). */
  riseS: number;
  fallS: number;
  /** A target within this factor of what is served changes nothing (hysteresis). */
  holdFactor: number;
}

export const DEFAULT_SAMPLING_OPTIONS: Readonly<SamplingOptions> = Object.freeze({
  budgetTps: 10,
  floorTps: 1 / 60,
  minProbability: 1e-5,
  coldStartProbability: 0.01,
  windowMinutes: 5,
  historyMinutes: 60,
  completeAfterMs: 120_000,
  targetFpr: 0.01,
  shrinkTraces: 20,
  anomalousLift: 2,
  riseS: 30,
  fallS: 60,
  holdFactor: 1.25,
});

export function samplingOptions(over: Partial<SamplingOptions> = {}): SamplingOptions {
  const o = { ...DEFAULT_SAMPLING_OPTIONS, ...over };
  if (!(o.budgetTps > 0)) throw new Error(`sampling budget must be positive, got ${o.budgetTps}`);
  if (!(o.minProbability > 0 && o.minProbability <= 1))
    throw new Error(`minProbability must be in (0, 1], got ${o.minProbability}`);
  if (!(o.holdFactor >= 1)) throw new Error(`holdFactor must be at least 1, got ${o.holdFactor}`);
  return o;
}
