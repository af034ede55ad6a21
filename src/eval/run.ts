/** The suite registry: names, and one entry point that runs any of them. */
import type { SuiteOptions } from './common.js';
import { runNezha, type NezhaResult } from './suites/nezha.js';
import { runShapleyIq, type ShapleyIqResult } from './suites/shapleyiq.js';
import { runSim, simScenarios, type SimResult } from './suites/sim.js';
import { runTraceAnomaly, type TraceAnomalyResult } from './suites/traceanomaly.js';
import { runSampling, type SamplingResult } from './suites/sampling.js';

export type SuiteResult = ShapleyIqResult | NezhaResult | TraceAnomalyResult | SimResult | SamplingResult;

export const REAL_SUITES = [
  'shapleyiq-trainticket',
  'nezha-trainticket',
  'nezha-onlineboutique',
  'traceanomaly',
] as const;

/**
 * Every suite name: the real-data ones, sampling advice (`sampling-<system>` runs one simulated system's
 * scenarios only), then one per simulated fault scenario.
 */
export function listSuites(): string[] {
  return [...REAL_SUITES, 'sampling', ...simScenarios().map((s) => `sim-${s.name}`)];
}

export async function runSuite(name: string, opts: SuiteOptions = {}): Promise<SuiteResult> {
  switch (name) {
    case 'shapleyiq-trainticket':
      return runShapleyIq(opts);
    case 'nezha-trainticket':
      return runNezha('trainticket', opts);
    case 'nezha-onlineboutique':
      return runNezha('onlineboutique', opts);
    case 'traceanomaly':
      return runTraceAnomaly(opts);
    case 'sampling':
      return runSampling(opts);
  }
  if (name.startsWith('sim-')) return runSim(name.slice(4), opts);
  if (name.startsWith('sampling-')) return runSampling(opts, name.slice('sampling-'.length));
  throw new Error(`unknown suite "${name}"; known: ${listSuites().join(', ')}, sim, all`);
}
