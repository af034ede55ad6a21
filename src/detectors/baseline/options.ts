/** Knobs of the robust baseline. Defaults are what the tests and benchmarks were tuned with. */
export interface BaselineOptions {
  /** Endpoints with fewer training traces are scored against the pooled model. */
  minEndpointTraces: number;
  /** Paths (or pooled operations) with fewer spans do not judge latency or error rate. */
  minPathSamples: number;
  /**
   * Share of training traces dropped before the final fit: the worst-scoring ones under a first fit.
   * Protects tails, frequencies and error rates from anomalies hidden in the training window.
   */
  trimFraction: number;
  /** The raw score sums this many of the largest surprises. */
  topK: number;
  /** Robust z below this is normal variation: latency surprise is z minus this. */
  zOffset: number;
  /** Events at least this frequent are never surprising; rarer ones score -ln(p) - ln(1/rareFrequency). */
  rareFrequency: number;
  /** Weight of frequency surprises relative to z units. */
  frequencyWeight: number;
  /** Smallest robust spread, on the ln(1 + µs/1 ms) scale. */
  scaleFloor: number;
  /** The spread is at least (p99 - median) / 2.326, so a heavy normal tail is not read as anomalous (see summarize). */
  tailSpread: boolean;
  /** Most evidence items returned per trace. */
  maxEvidence: number;
}

export const DEFAULT_BASELINE_OPTIONS: Readonly<BaselineOptions> = Object.freeze({
  minEndpointTraces: 20,
  minPathSamples: 10,
  trimFraction: 0.05,
  topK: 3,
  zOffset: 3,
  rareFrequency: 0.05,
  frequencyWeight: 2,
  scaleFloor: 0.1,
  tailSpread: true,
  maxEvidence: 32,
});

export function resolveOptions(o: Partial<BaselineOptions> = {}): BaselineOptions {
  const r = { ...DEFAULT_BASELINE_OPTIONS, ...o };
  const check = (name: keyof BaselineOptions, ok: boolean, want: string) => {
    if (!ok) throw new Error(`baseline option ${name} = ${String(r[name])}: expected ${want}`);
  };
  check(
    'minEndpointTraces',
    Number.isInteger(r.minEndpointTraces) && r.minEndpointTraces >= 1,
    'an integer >= 1',
  );
  check('minPathSamples', Number.isInteger(r.minPathSamples) && r.minPathSamples >= 1, 'an integer >= 1');
  check('trimFraction', r.trimFraction >= 0 && r.trimFraction < 0.5, 'a number in [0, 0.5)');
  check('topK', Number.isInteger(r.topK) && r.topK >= 1, 'an integer >= 1');
  check('zOffset', r.zOffset >= 0 && Number.isFinite(r.zOffset), 'a finite number >= 0');
  check('rareFrequency', r.rareFrequency > 0 && r.rareFrequency <= 1, 'a number in (0, 1]');
  check(
    'frequencyWeight',
    r.frequencyWeight >= 0 && Number.isFinite(r.frequencyWeight),
    'a finite number >= 0',
  );
  check('scaleFloor', r.scaleFloor > 0 && Number.isFinite(r.scaleFloor), 'a finite number > 0');
  check('tailSpread', typeof r.tailSpread === 'boolean', 'true or false');
  check('maxEvidence', Number.isInteger(r.maxEvidence) && r.maxEvidence >= 1, 'an integer >= 1');
  return r;
}
