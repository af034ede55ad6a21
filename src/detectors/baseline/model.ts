import { extractProfile, type TraceProfile } from '../../features/profile.js';
import type { Trace } from '../../trace/trace.js';
import { resolveOptions, type BaselineOptions } from './options.js';
import { accumulate, pooledGapKey, Population, type GapStats, type PathStats } from './population.js';
import type { BaselineScore } from './evidence.js';
import { scoreTrace } from './score.js';
import { modelFromJson, modelToJson } from './serialize.js';
import type { BaselineModelJson } from './model-json.js';
import { endpointKey } from '../../trace/endpoint-key.js';
import type { BaselineProfile, BaselineTrace } from './input.js';

/**
 * The robust statistical baseline: per endpoint (root service:operation) and per call path, what normal
 * latency, structure, error rate and network gaps look like, with all traffic pooled per operation as
 * the fallback for endpoints seen too rarely.
 */
export class BaselineModel {
  constructor(
    readonly options: BaselineOptions,
    readonly pooled: Population,
    readonly endpoints: Map<string, Population>,
  ) {}

  /** The endpoint's own model when it had enough training traces, else undefined (the pooled model judges). */
  endpointModel(key: string): Population | undefined {
    const e = this.endpoints.get(key);
    return e !== undefined && e.traces >= this.options.minEndpointTraces ? e : undefined;
  }

  /** Stats of a call path in its endpoint's model, falling back to the pooled stats of its operation. */
  pathStats(endpoint: string, pathKey: string, service: string, operation: string): PathStats | undefined {
    const own = this.endpointModel(endpoint)?.paths.get(pathKey);
    if (own !== undefined && own.spans >= this.options.minPathSamples) return own;
    const pl = this.pooled.paths.get(endpointKey(service, operation));
    return pl !== undefined && pl.spans >= this.options.minPathSamples ? pl : undefined;
  }

  /** Gap stats of a network hop in its endpoint's model, falling back to the pooled stats of the service pair. */
  gapStats(
    endpoint: string,
    hopKey: string,
    clientService: string,
    serverService: string,
    serverOperation: string,
  ): GapStats | undefined {
    const own = this.endpointModel(endpoint)?.gaps.get(hopKey);
    if (own !== undefined && own.traces >= this.options.minPathSamples) return own;
    const pl = this.pooled.gaps.get(pooledGapKey(clientService, serverService, serverOperation));
    return pl !== undefined && pl.traces >= this.options.minPathSamples ? pl : undefined;
  }

  score(trace: Trace, profile?: TraceProfile): BaselineScore;
  score(trace: BaselineTrace, profile: BaselineProfile): BaselineScore;
  score(trace: BaselineTrace, profile?: BaselineProfile): BaselineScore {
    profile ??= extractProfile(trace as Trace);
    return scoreTrace(trace, profile, this.endpointModel(profile.endpoint.key), this.pooled, this.options);
  }

  toJSON(): BaselineModelJson {
    return modelToJson(this.options, this.pooled, this.endpoints);
  }

  /** Validates as it reads: a wrong shape or value throws an Error naming where it is. */
  static fromJSON(json: unknown): BaselineModel {
    const { options, pooled, endpoints } = modelFromJson(json);
    return new BaselineModel(options, pooled, endpoints);
  }
}

/** Accumulates traces one by one (streaming); build() freezes the model. No trimming: see trainBaseline. */
export class BaselineTrainer {
  readonly options: BaselineOptions;
  private readonly pooled = new Population('*', true);
  private readonly endpoints = new Map<string, Population>();

  constructor(options: Partial<BaselineOptions> = {}) {
    this.options = resolveOptions(options);
  }

  add(trace: Trace, profile?: TraceProfile): void;
  add(trace: BaselineTrace, profile: BaselineProfile): void;
  add(trace: BaselineTrace, profile?: BaselineProfile): void {
    if (trace.spans.length === 0) return;
    profile ??= extractProfile(trace as Trace);
    const key = profile.endpoint.key;
    let ep = this.endpoints.get(key);
    if (ep === undefined) this.endpoints.set(key, (ep = new Population(key, false)));
    accumulate(ep, trace, profile);
    accumulate(this.pooled, trace, profile);
  }

  build(): BaselineModel {
    this.pooled.freeze(this.options);
    for (const e of this.endpoints.values()) e.freeze(this.options);
    return new BaselineModel(this.options, this.pooled, this.endpoints);
  }
}

/**
 * Trains on a window of unlabeled traffic. With trimFraction > 0, fits twice: a screening fit scores every
 * training trace, and the worst trimFraction (anomalies hiding in the window) are left out of the final fit.
 * The screening fit reads spreads from the quartiles only (no tailSpread): a few percent of hidden slow
 * traces sit in the 99th percentile and would widen the very spread they are judged against, and then
 * nothing would trim them. `profiles`, when given, must be aligned with `traces` (saves extracting each
 * profile twice).
 */
export function trainBaseline(
  traces: readonly Trace[],
  options: Partial<BaselineOptions> = {},
  profiles?: readonly TraceProfile[],
): BaselineModel {
  if (profiles !== undefined && profiles.length !== traces.length) {
    throw new Error(`trainBaseline: ${profiles.length} profiles for ${traces.length} traces`);
  }
  return trainBaselineOn(
    traces.length,
    (i) => ({ trace: traces[i], profile: profiles?.[i] ?? extractProfile(traces[i]) }),
    options,
  );
}

/**
 * trainBaseline over `n` traces that `at` hands over one at a time (it may build each view afresh on every
 * call): a caller holding compact training data need not hold every trace and profile as objects.
 */
export function trainBaselineOn(
  n: number,
  at: (i: number) => { trace: BaselineTrace; profile: BaselineProfile },
  options: Partial<BaselineOptions> = {},
): BaselineModel {
  const resolved = resolveOptions(options);
  const fit = (o: BaselineOptions, dropped?: Uint8Array) => {
    const trainer = new BaselineTrainer(o);
    for (let i = 0; i < n; i++) {
      if (dropped?.[i]) continue;
      const { trace, profile } = at(i);
      trainer.add(trace, profile);
    }
    return trainer.build();
  };
  const drop = Math.floor(n * resolved.trimFraction);
  if (drop === 0) return fit(resolved);

  const screen = fit({ ...resolved, tailSpread: false });
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const { trace, profile } = at(i);
    if (trace.spans.length === 0) continue;
    const r = screen.score(trace, profile);
    // Traces of rare endpoints are judged by the pooled model, where rare means surprising: they stay.
    scores[i] = r.model === 'endpoint' ? r.score : 0;
  }
  // Stable order: ties by index, so the same data always drops the same traces.
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const dropped = new Uint8Array(n);
  for (let k = 0; k < drop && scores[idx[k]] > 0; k++) dropped[idx[k]] = 1;
  return fit(resolved, dropped);
}
