import type { RawSpan } from '../trace/span.js';
import { normalizeTrace, type NormalizeOptions } from '../trace/normalize.js';
import type { Trace } from '../trace/trace.js';

/**
 * Collects spans into traces. Whole documents flush everything at their end; streams (NDJSON, CSV) flush a
 * trace once `idleSpans` spans have gone by without one of its own, which bounds memory on inputs of any size
 * while keeping traces that straddle a few minutes of a time-ordered file whole.
 */
export class TraceAssembler {
  private open = new Map<string, { spans: RawSpan[]; lastSeen: number }>();
  private seen = 0;
  private nextSweep: number;

  constructor(
    private readonly emit: (trace: Trace) => void,
    private readonly opts: NormalizeOptions & { idleSpans?: number } = {},
  ) {
    this.nextSweep = this.idle;
  }

  private get idle(): number {
    return this.opts.idleSpans ?? 200_000;
  }

  get openTraces(): number {
    return this.open.size;
  }

  add(span: RawSpan): void {
    const seen = ++this.seen;
    let t = this.open.get(span.traceId);
    if (!t) this.open.set(span.traceId, (t = { spans: [], lastSeen: seen }));
    t.spans.push(span);
    t.lastSeen = seen;
    if (seen >= this.nextSweep) {
      this.sweep();
      this.nextSweep = seen + Math.max(1, this.idle >> 2);
    }
  }

  /** Emits traces idle for longer than the window (Map iteration is in insertion order, oldest first). */
  private sweep(): void {
    for (const [id, t] of this.open) {
      if (this.seen - t.lastSeen < this.idle) continue;
      this.open.delete(id);
      this.emit(normalizeTrace(id, t.spans, this.opts));
    }
  }

  flush(): void {
    for (const [id, t] of this.open) this.emit(normalizeTrace(id, t.spans, this.opts));
    this.open.clear();
  }
}
