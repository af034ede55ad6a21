/**
 * How much of the time before its watermark a poll re-reads. The overlap exists for traces that become
 * queryable late (a slow collector, a trace longer than the settle time): a trace whose span started before
 * the watermark but was not stored yet when the last poll ran. Re-reading a fixed overlap makes the source
 * send every trace 1 + overlap / interval times; most traces are never late, so the overlap is learned.
 *
 * Each poll measures the lateness of the new traces it finds (how far before the previous watermark the
 * polled service's first span in them starts) and the next polls re-read twice the largest lateness seen
 * within `memoryUs`, never less than `minUs`. Lateness beyond what the polls re-read is invisible to them, so
 * once every `fullEveryUs` of watermark time (the poll whose window crosses a multiple of it, whichever
 * process runs it) and on a process's first poll of a service, a poll re-reads the whole configured overlap:
 * a late trace it finds widens the learned overlap at once. The trade-off, measured by the service bench:
 * a trace later than the learned overlap is found only by such a full poll, so it may be found later or,
 * when later than the configured overlap allows, not at all (as any trace later than the overlap was before).
 */
import type { Trace } from '../trace/trace.js';

export interface OverlapOptions {
  /** The configured overlap: the most a poll re-reads, µs. */
  maxUs: number;
  /** The least a poll re-reads, µs (equal to maxUs: a fixed overlap, nothing learned). */
  minUs: number;
  /** A poll re-reads maxUs once per this much time, µs. */
  fullEveryUs: number;
  /** How long a lateness seen keeps the overlap wide, µs. */
  memoryUs: number;
}

interface Learned {
  lateUs: number;
  atUs: number;
}

export class OverlapLearner {
  private readonly learned = new Map<string, Learned>();

  constructor(private readonly o: OverlapOptions) {}

  /** The overlap for a poll of `key` from `watermarkUs` to `toUs`, µs. */
  overlapUs(key: string, nowUs: number, watermarkUs: number, toUs: number): number {
    if (this.o.minUs >= this.o.maxUs) return this.o.maxUs;
    const l = this.learned.get(key);
    const period = Math.max(1, this.o.fullEveryUs);
    if (!l || Math.floor(toUs / period) !== Math.floor(watermarkUs / period)) return this.o.maxUs;
    const late = nowUs - l.atUs <= this.o.memoryUs ? l.lateUs : 0;
    return Math.min(this.o.maxUs, Math.max(this.o.minUs, 2 * late));
  }

  /** Records a poll of `key` that read from before `watermarkUs` and found `fresh` (new) traces. */
  observe(key: string, nowUs: number, service: string, watermarkUs: number, fresh: readonly Trace[]): void {
    let l = this.learned.get(key);
    if (!l) this.learned.set(key, (l = { lateUs: 0, atUs: -Infinity }));
    const late = latenessUs(service, watermarkUs, fresh);
    // The largest lateness within memory counts; once it is older, a smaller one replaces it.
    if (late > 0 && (late >= l.lateUs || nowUs - l.atUs > this.o.memoryUs)) {
      l.lateUs = late;
      l.atUs = nowUs;
    }
  }

  /** The lateness learned for `key` (µs; 0 when none), for metrics and tests. */
  lateUs(key: string, nowUs: number): number {
    const l = this.learned.get(key);
    return l && nowUs - l.atUs <= this.o.memoryUs ? l.lateUs : 0;
  }
}

/**
 * How far before the watermark the latest of these traces begins: a search by service matches a trace by
 * that service's spans, so the earliest of them is where the trace entered the poll's window.
 */
export function latenessUs(service: string, watermarkUs: number, fresh: readonly Trace[]): number {
  let most = 0;
  for (const t of fresh) {
    let first = Infinity;
    for (const s of t.spans) if (s.service === service && s.start < first) first = s.start;
    if (first !== Infinity && watermarkUs - first > most) most = watermarkUs - first;
  }
  return most;
}
