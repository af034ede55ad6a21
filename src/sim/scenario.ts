/** A scenario: a system, its workload, and the faults injected into it. */
import type { FaultSpec } from './faults.js';
import type { Topology } from './system-topology.js';
import type { WorkloadDef } from './workload.js';

export interface Scenario {
  name: string;
  /** One line, for `sim --list`. */
  description: string;
  system: string;
  topology: () => Topology;
  workload: WorkloadDef;
  faults: FaultSpec[];
  /** Default length of a generated file. */
  durationS: number;
  /** Repeat the fault list with this period (the live demo). */
  repeatEveryS?: number;
}

/** 2024-03-05T12:00:00Z: a fixed default start keeps generated files identical across runs. */
export const DEFAULT_START_US = 1_709_640_000_000_000;
