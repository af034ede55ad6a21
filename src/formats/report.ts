import type { FormatName } from './types.js';

const MAX_SKIP_SAMPLES = 20;

/**
 * What reading said: counts, and warnings folded by kind so a file with 30k skewed traces gives one line,
 * not 30k.
 */
export class ReadReport {
  formats = new Map<string, FormatName>();
  traces = 0;
  spans = 0;
  skipped = 0;
  skipSamples: string[] = [];
  /** Skipped records by reason code (`malformed`, `time_unreadable`, `time_out_of_window`, ...). */
  skippedBy = new Map<string, number>();
  private folded = new Map<string, { total: number; traces: number }>();
  private notes = new Set<string>();

  skip(file: string, where: string, message: string, reason = 'malformed'): void {
    this.skipped++;
    this.skippedBy.set(reason, (this.skippedBy.get(reason) ?? 0) + 1);
    if (this.skipSamples.length < MAX_SKIP_SAMPLES)
      this.skipSamples.push(`${file}${where ? ` ${where}` : ''}: ${message}`);
  }

  /** A warning about the input as a whole (kept once). */
  note(message: string): void {
    this.notes.add(message);
  }

  /** A per-trace adjuster warning; "N text" messages are summed over traces. */
  traceWarning(message: string): void {
    const m = /^(\d+) (.*)$/.exec(message);
    const key = m ? m[2] : message;
    const add = m ? Number(m[1]) : 1;
    const f = this.folded.get(key);
    if (f) {
      f.total += add;
      f.traces++;
    } else this.folded.set(key, { total: add, traces: 1 });
  }

  get format(): FormatName | 'mixed' | undefined {
    const set = new Set(this.formats.values());
    if (set.size === 0) return undefined;
    return set.size === 1 ? [...set][0] : 'mixed';
  }

  get warnings(): string[] {
    const out = [...this.notes];
    for (const [text, f] of this.folded) {
      out.push(
        f.total === f.traces ? `${text} (${f.traces} traces)` : `${f.total} ${text} (in ${f.traces} traces)`,
      );
    }
    if (this.skipped > 0) {
      out.push(`${this.skipped} records skipped`);
      out.push(...this.skipSamples);
    }
    return out;
  }
}
