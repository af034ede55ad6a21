/** Batch generation: a scenario run for a length of simulated time or a number of traces. */
import type { Span } from '../trace/span.js';
import { normalizeTrace } from '../trace/normalize.js';
import { endpointKeyOf } from '../trace/endpoint-key.js';
import type { FaultTruth, TraceTruth } from './faults.js';
import type { Scenario } from './scenario.js';
import { getScenario } from './scenarios.js';
import { Simulator, type GeneratedTrace, type SimOptions } from './simulator.js';

export interface GenerateOptions extends SimOptions {
  /** Simulated seconds (default: the scenario's durationS). Ignored when `traces` is given. */
  durationS?: number;
  /** Stop after this many traces. */
  traces?: number;
}

export interface ScenarioTruth {
  scenario: string;
  system: string;
  seed: number;
  /** µs since the epoch. */
  start: number;
  end: number;
  faults: FaultTruth[];
  traces: TraceTruth[];
}

export interface Generated {
  /** Spans grouped per trace, in arrival order. */
  traces: Span[][];
  truth: ScenarioTruth;
}

function resolve(scenario: Scenario | string): Scenario {
  return typeof scenario === 'string' ? getScenario(scenario) : scenario;
}

/**
 * Streams a run trace by trace: for large outputs, the caller writes each trace and drops it. `done()` gives the
 * run's window and fault truth once the stream has ended (or at any point, for what was made so far).
 */
export function generateStream(scenario: Scenario | string, opts: GenerateOptions = {}) {
  const sc = resolve(scenario);
  const sim = new Simulator(sc, opts);
  const endUs = sim.startUs + (opts.durationS ?? sc.durationS) * 1e6;
  const max = opts.traces;
  const traces = (function* (): Generator<GeneratedTrace> {
    while (max !== undefined ? sim.generated < max : sim.nextArrival < endUs) yield sim.next();
  })();
  const done = (): Omit<ScenarioTruth, 'traces'> => {
    const end = max !== undefined ? sim.nextArrival : endUs;
    return {
      scenario: sc.name,
      system: sc.system,
      seed: sim.seed,
      start: sim.startUs,
      end,
      faults: sim.faults(end),
    };
  };
  return { simulator: sim, traces, done };
}

export function generate(scenario: Scenario | string, opts: GenerateOptions = {}): Generated {
  const run = generateStream(scenario, opts);
  const traces: Span[][] = [];
  const truths: TraceTruth[] = [];
  for (const t of run.traces) {
    traces.push(t.spans);
    truths.push(t.truth);
  }
  return { traces, truth: { ...run.done(), traces: truths } };
}

/** The endpoints (`service:operation` of each root) a scenario's traffic reaches, in order of first arrival. */
export function scenarioEndpoints(scenario: Scenario | string, opts: GenerateOptions = {}): string[] {
  const out = new Set<string>();
  for (const spans of generate(scenario, opts).traces) {
    out.add(endpointKeyOf(normalizeTrace(spans[0].traceId, spans)));
  }
  return [...out];
}
