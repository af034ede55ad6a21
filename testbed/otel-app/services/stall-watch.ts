/**
 * Notes when this process could not run: a timer due every TICK_MS that fires STALL_MS or more late means
 * the event loop was blocked or the process got no CPU (a busy host, a collection, a neighbour's burst).
 * Every span this process made meanwhile is slow for a reason no service fault explains; the harness leaves
 * those moments out of the fault-free stretches, as it leaves out each fault's recovery.
 */
import type { Stall } from '../faults.js';

const TICK_MS = 10;
/** Late by this much: far beyond a timer's jitter and a young-generation collection of a small service. */
const STALL_MS = 20;

export class StallWatch {
  private readonly stalls: Stall[] = [];
  private last = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly service: string,
    /** Whether a stall now is the service's own injected fault (the CPU hog), which is not noise. */
    private readonly injected: () => boolean,
  ) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const lateMs = now - this.last - TICK_MS;
    this.last = now;
    if (lateMs < STALL_MS || this.injected()) return;
    const end = Date.now();
    this.stalls.push({ service: this.service, start: end - lateMs - TICK_MS, end });
  }

  list(): readonly Stall[] {
    return this.stalls;
  }
}
