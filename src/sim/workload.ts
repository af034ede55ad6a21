/** Arrivals: a Poisson process whose rate follows a daily shape and the traffic spikes in force. */
import type { CompiledTopology, EndpointRt } from './compile.js';
import type { LiveFault } from './engine-state.js';
import type { Rng } from './seeded-random.js';

export interface WorkloadDef {
  /** Mean requests per second over a day. */
  rate: number;
  /** Relative swing of the daily shape (0 flat, 0.5 peak 1.5x the mean, trough 0.5x). */
  dailyAmplitude?: number;
  /** Hour of the day (UTC) of the peak. */
  peakHour?: number;
  /** Endpoint weights overriding the topology's, by "service/operation". */
  mix?: Record<string, number>;
}

const DAY_US = 86_400e6;

export class Workload {
  readonly weights: number[];
  private readonly wsum: number;

  constructor(
    readonly def: WorkloadDef,
    readonly topo: CompiledTopology,
  ) {
    this.weights = topo.endpoints.map((e) => def.mix?.[e.def.op] ?? e.weight);
    this.wsum = this.weights.reduce((a, b) => a + b, 0);
    if (!(this.wsum > 0)) throw new Error('workload: endpoint weights sum to zero');
    if (!(def.rate > 0)) throw new Error(`workload: rate must be positive, got ${def.rate}`);
  }

  /** The daily shape at time t (µs since the epoch), mean 1 over a day. */
  shape(tUs: number): number {
    const amp = this.def.dailyAmplitude ?? 0.4;
    const hour = ((((tUs % DAY_US) + DAY_US) % DAY_US) / DAY_US) * 24;
    return 1 + amp * Math.cos((2 * Math.PI * (hour - (this.def.peakHour ?? 15))) / 24);
  }

  /** Per-endpoint rate multipliers from the spikes in force. */
  multipliers(live: LiveFault[]): number[] {
    const m = this.weights.map(() => 1);
    for (const lf of live) {
      if (lf.rt.spec.type !== 'spike') continue;
      this.topo.endpoints.forEach((e, i) => {
        if (!lf.rt.endpoint || lf.rt.endpoint === e) m[i] *= lf.rt.spec.intensity;
      });
    }
    return m;
  }

  /** Requests per second at time t. */
  rate(tUs: number, mult: number[]): number {
    let w = 0;
    for (let i = 0; i < mult.length; i++) w += this.weights[i] * mult[i];
    return (this.def.rate * this.shape(tUs) * w) / this.wsum;
  }

  /** The gap to the next arrival, µs (the rate is taken as constant over one gap: it moves over minutes). */
  gap(rng: Rng, tUs: number, mult: number[]): number {
    return rng.exponential(1e6 / this.rate(tUs, mult));
  }

  pickEndpoint(rng: Rng, mult: number[]): EndpointRt {
    let total = 0;
    for (let i = 0; i < mult.length; i++) total += this.weights[i] * mult[i];
    let x = rng.next() * total;
    for (let i = 0; i < mult.length; i++) {
      x -= this.weights[i] * mult[i];
      if (x < 0) return this.topo.endpoints[i];
    }
    return this.topo.endpoints[this.topo.endpoints.length - 1];
  }

  /** Utilization of each service under the current shape and spikes; `base` leaves the spikes out. */
  utilization(tUs: number, mult: number[], base: boolean): Float64Array {
    const topo = this.topo;
    const out = new Float64Array(topo.services.length);
    const shape = this.shape(tUs);
    for (let s = 0; s < out.length; s++) {
      let load = 0;
      for (let i = 0; i < topo.endpoints.length; i++)
        load += this.weights[i] * (base ? 1 : mult[i]) * topo.endpoints[i].load[s];
      const mean = topo.meanLoad[s] * this.wsum;
      out[s] = mean > 0 ? Math.min(0.97, (topo.services[s].utilization * shape * load) / mean) : 0;
    }
    return out;
  }
}
