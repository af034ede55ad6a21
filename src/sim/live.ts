/**
 * A clock-driven stream over the simulator for the live server: traces appear once simulated time has passed
 * their end, simulated time runs `speed` times faster than the clock it is given, and old traces are evicted.
 * The clock is passed in (the server gives it the real one), so this stays testable and deterministic.
 */
import type { Span } from '../trace/span.js';
import type { FaultTruth, TraceTruth } from './faults.js';
import type { Scenario } from './scenario.js';
import { Simulator, type GeneratedTrace } from './simulator.js';

export interface LiveOptions {
  seed?: number;
  /** Simulated seconds per real second (default 1). */
  speed?: number;
  /** Real clock, µs since the epoch. */
  now: () => number;
  /** Simulated seconds generated before the start, so queries find data at once (default 0). */
  backfillS?: number;
  /** Keep at most this many traces (default 20000), oldest evicted first. */
  maxTraces?: number;
}

export interface LiveTrace {
  traceId: string;
  spans: Span[];
  truth: TraceTruth;
  start: number;
  end: number;
}

export interface LiveTruth {
  scenario: string;
  seed: number;
  /** Simulated start and now, µs. */
  start: number;
  now: number;
  faults: FaultTruth[];
  traces: TraceTruth[];
}

export class LiveSim {
  readonly sim: Simulator;
  readonly speed: number;
  private readonly realStart: number;
  private readonly simStart: number;
  private readonly maxTraces: number;
  /** Generated but not yet finished in simulated time. */
  private pending: LiveTrace[] = [];
  /** Published, in publication order (roughly by end time). */
  readonly traces: LiveTrace[] = [];
  private head = 0;
  readonly byId = new Map<string, LiveTrace>();
  evicted = 0;
  /** Called with each batch of traces as it becomes visible (the OTLP pusher listens here). */
  onPublish?: (traces: LiveTrace[]) => void;

  constructor(
    readonly scenario: Scenario,
    private readonly opts: LiveOptions,
  ) {
    this.speed = opts.speed ?? 1;
    if (!(this.speed > 0)) throw new Error(`speed must be positive, got ${opts.speed}`);
    this.realStart = opts.now();
    this.simStart = this.realStart - (opts.backfillS ?? 0) * 1e6;
    this.maxTraces = opts.maxTraces ?? 20_000;
    this.sim = new Simulator(scenario, { seed: opts.seed, startUs: this.simStart });
  }

  /** Simulated now, µs. */
  simNow(): number {
    const elapsed = this.opts.now() - this.realStart;
    return Math.round(this.realStart + Math.max(0, elapsed) * this.speed);
  }

  /** Brings the stream up to simulated now; returns the traces that became visible. */
  advance(): LiveTrace[] {
    const now = this.simNow();
    while (this.sim.nextArrival <= now) this.pending.push(this.live(this.sim.next()));
    const ready: LiveTrace[] = [];
    const still: LiveTrace[] = [];
    for (const t of this.pending) (t.end <= now ? ready : still).push(t);
    this.pending = still;
    for (const t of ready) {
      this.traces.push(t);
      this.byId.set(t.traceId, t);
    }
    if (ready.length > 0) this.onPublish?.(ready);
    while (this.traces.length - this.head > this.maxTraces) {
      this.byId.delete(this.traces[this.head].traceId);
      this.head++;
      this.evicted++;
    }
    if (this.head > 4096 && this.head * 2 > this.traces.length) {
      this.traces.splice(0, this.head);
      this.head = 0;
    }
    return ready;
  }

  private live(g: GeneratedTrace): LiveTrace {
    let start = Infinity;
    let end = -Infinity;
    for (const s of g.spans) {
      if (s.start < start) start = s.start;
      if (s.start + s.duration > end) end = s.start + s.duration;
    }
    if (g.spans.length === 0) start = end = g.truth.start;
    return { traceId: g.traceId, spans: g.spans, truth: g.truth, start, end };
  }

  /** Visible traces, newest first. */
  *newestFirst(): Generator<LiveTrace> {
    for (let i = this.traces.length - 1; i >= this.head; i--) yield this.traces[i];
  }

  get size(): number {
    return this.traces.length - this.head;
  }

  truth(): LiveTruth {
    const now = this.simNow();
    const traces: TraceTruth[] = [];
    for (let i = this.head; i < this.traces.length; i++) traces.push(this.traces[i].truth);
    return {
      scenario: this.scenario.name,
      seed: this.sim.seed,
      start: this.simStart,
      now,
      faults: this.sim.faults(now),
      traces,
    };
  }
}
