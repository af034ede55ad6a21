/** Everything a request meets that is not the request: pods, their pauses, the load, the faults that are on. */
import type { FaultWindow, Instance } from './model.js';
import { FaultSet } from './faults.js';
import { SERVICES, buildInstances, serviceSpec, type ServiceSpec } from './services.js';
import { StallTimeline, TrafficShape, gcStalls } from './timeline.js';

export class World {
  readonly instances: Map<string, Instance[]>;
  readonly faults: FaultSet;
  readonly traffic: TrafficShape;
  private readonly stalls = new Map<string, StallTimeline>();

  constructor(
    readonly seed: number,
    readonly start: number,
    readonly end: number,
    windows: readonly FaultWindow[],
  ) {
    this.instances = buildInstances(seed);
    this.faults = new FaultSet(windows);
    this.traffic = new TrafficShape(seed, start, end);
    for (const s of SERVICES)
      for (const inst of this.pods(s.name)) {
        // pauses may run a little past the end: a request started just before it still meets them
        const gc = gcStalls(seed, inst, s.runtime, start, end + 60e6);
        this.stalls.set(inst.pod, new StallTimeline([...gc, ...this.faults.stallsFor(inst, seed)]));
      }
  }

  pods(service: string): Instance[] {
    const p = this.instances.get(service);
    if (!p) throw new Error(`heldout-sim: no pods for service "${service}"`);
    return p;
  }

  stallsOf(inst: Instance): StallTimeline {
    return this.stalls.get(inst.pod)!;
  }

  spec(service: string): ServiceSpec {
    return serviceSpec(service);
  }

  /** Utilization of a service's pods at time t: its base level scaled by the traffic, never saturated. */
  utilization(service: string, t: number): number {
    return Math.min(0.92, serviceSpec(service).rho * this.traffic.at(t));
  }
}
