/**
 * Pushes traces as OTLP JSON (POST /v1/traces) to a collector. Batches are sent one at a time; when the
 * receiver falls behind, the oldest waiting batches are dropped and counted rather than piling up in memory.
 */
import type { Span } from '../trace/span.js';
import { toOtlpResourceSpans } from '../formats/write/otlp-json.js';

export interface PushStats {
  sentBatches: number;
  sentSpans: number;
  failedBatches: number;
  droppedBatches: number;
  lastError?: string;
}

export class OtlpPusher {
  readonly stats: PushStats = { sentBatches: 0, sentSpans: 0, failedBatches: 0, droppedBatches: 0 };
  private queue: Span[][][] = [];
  private busy: Promise<void> | undefined;

  constructor(
    readonly url: string,
    private readonly opts: {
      maxQueued?: number;
      timeoutMs?: number;
      /** Spans per request: receivers cap body sizes (1 MiB is common), so large batches are split. */
      maxSpans?: number;
      onError?: (message: string) => void;
    } = {},
  ) {
    try {
      new URL(url);
    } catch {
      throw new Error(`--push: "${url}" is not a URL (expected e.g. http://localhost:4318/v1/traces)`);
    }
  }

  /** Splits traces into requests of at most maxSpans spans (a trace is never split). */
  private chunks(traces: Span[][]): Span[][][] {
    const max = this.opts.maxSpans ?? 1000;
    const out: Span[][][] = [];
    let cur: Span[][] = [];
    let n = 0;
    for (const t of traces) {
      if (n > 0 && n + t.length > max) {
        out.push(cur);
        cur = [];
        n = 0;
      }
      cur.push(t);
      n += t.length;
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  /** Queues traces for sending; returns at once. */
  push(traces: Span[][]): void {
    if (traces.length === 0) return;
    this.queue.push(...this.chunks(traces));
    const max = this.opts.maxQueued ?? 64;
    while (this.queue.length > max) {
      this.queue.shift();
      this.stats.droppedBatches++;
    }
    this.busy ??= this.pump().finally(() => (this.busy = undefined));
  }

  /** Sends traces now (split as needed) and waits for the answers. Throws on a failed send. */
  async send(traces: Span[][]): Promise<void> {
    for (const chunk of this.chunks(traces)) await this.sendOne(chunk);
  }

  private async sendOne(traces: Span[][]): Promise<void> {
    const body = JSON.stringify({ resourceSpans: traces.flatMap(toOtlpResourceSpans) });
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${this.url}: ${(await res.text()).slice(0, 200)}`);
    this.stats.sentBatches++;
    for (const t of traces) this.stats.sentSpans += t.length;
  }

  private async pump(): Promise<void> {
    for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
      try {
        await this.sendOne(batch);
      } catch (err) {
        this.stats.failedBatches++;
        this.stats.lastError = (err as Error).message;
        this.opts.onError?.(this.stats.lastError);
      }
    }
  }

  /** Waits until everything queued has been sent (or has failed). */
  async flush(): Promise<void> {
    while (this.busy) await this.busy;
  }
}
