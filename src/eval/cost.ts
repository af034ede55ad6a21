/**
 * What a suite costs: wall time of training and scoring, throughput, and peak memory. Memory is sampled on a
 * timer and at every phase boundary; a long synchronous stretch is seen only at its ends, so peaks are lower
 * bounds.
 */
export interface Cost {
  trainSeconds: number;
  scoreSeconds: number;
  trainSpans: number;
  scoreSpans: number;
  /** Spans scored per second of scoring. */
  spansPerSecond: number;
  peakRssMb: number;
  peakHeapMb: number;
}

export class CostMeter {
  private peakRss = 0;
  private peakHeap = 0;
  private timer: NodeJS.Timeout | undefined;
  trainSeconds = 0;
  scoreSeconds = 0;
  trainSpans = 0;
  scoreSpans = 0;

  constructor(sampleMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleMs);
    this.timer.unref();
  }

  sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.peakRss) this.peakRss = m.rss;
    if (m.heapUsed > this.peakHeap) this.peakHeap = m.heapUsed;
  }

  /** Runs `fn`, adding its wall time to the phase. */
  async time<T>(phase: 'train' | 'score', fn: () => T | Promise<T>): Promise<T> {
    this.sample();
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      const s = (performance.now() - t0) / 1000;
      if (phase === 'train') this.trainSeconds += s;
      else this.scoreSeconds += s;
      this.sample();
    }
  }

  finish(): Cost {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
    return {
      trainSeconds: this.trainSeconds,
      scoreSeconds: this.scoreSeconds,
      trainSpans: this.trainSpans,
      scoreSpans: this.scoreSpans,
      spansPerSecond: this.scoreSeconds > 0 ? this.scoreSpans / this.scoreSeconds : 0,
      peakRssMb: mb(this.peakRss),
      peakHeapMb: mb(this.peakHeap),
    };
  }
}
