/**
 * Reads a time window completely despite the backend's result limit. Backends answer a search with at most
 * `limit` traces (the newest), so a full answer may have dropped older ones: such a window is halved and
 * each half read, down to a minimum width, where a still-full answer is accepted and counted as truncated.
 * Windows are read oldest first from an explicit stack (no recursion), so everything before a failure is a
 * contiguous, fully read prefix, and `readToUs` says where it ends.
 */
import type { Trace } from '../trace/trace.js';
import type { SearchResult } from './source.js';

export interface WindowOptions {
  limit: number;
  /** Windows narrower than twice this are not split further, µs. */
  minWindowUs: number;
  /** Searches allowed for one window; the rest is left for the next poll. */
  maxQueries: number;
  /**
   * Read in chunks this wide from the start (µs), instead of asking for the whole window and halving it:
   * a full answer that gets split is fetched and thrown away, which at steady traffic doubles the work.
   */
  chunkUs?: number;
  /**
   * Called with each accepted answer's traces, in window order, before the next search; a throw stops the
   * read and is thrown from readWindow. With it, `traces` stays empty (nothing is held for the caller).
   */
  onAnswer?: (traces: Trace[]) => Promise<void>;
}

export interface WindowRead {
  /** Traces read, by id (a trace found in two sub-windows is kept once). */
  traces: Map<string, Trace>;
  /** Traces the accepted answers held, counting repeats. */
  fetched: number;
  /** End of the fully read prefix of [from, to], µs; `from` when nothing was read. */
  readToUs: number;
  queries: number;
  splits: number;
  truncated: number;
  skippedRecords: number;
  warnings: string[];
  /** The search failure that stopped the read, if any. */
  error?: unknown;
  /** True when the query budget ran out before `to`. */
  budgetExhausted: boolean;
  /** A chunk width expected to fill half the limit, from the traffic seen; for the next read. */
  suggestedChunkUs?: number;
}

/** A search's outcome, so that one asked ahead and never awaited cannot become an unhandled rejection. */
type Settled = { res: SearchResult } | { err: unknown };

export async function readWindow(
  /** `useful(raw)` says whether an answer with `raw` traces will be used: a full one that is split is not. */
  search: (startUs: number, endUs: number, useful: (raw: number) => boolean) => Promise<SearchResult>,
  fromUs: number,
  toUs: number,
  opts: WindowOptions,
): Promise<WindowRead> {
  const out: WindowRead = {
    traces: new Map(),
    fetched: 0,
    readToUs: fromUs,
    queries: 0,
    splits: 0,
    truncated: 0,
    skippedRecords: 0,
    warnings: [],
    budgetExhausted: false,
  };
  const stack: [number, number][] = [];
  const chunk = opts.chunkUs !== undefined ? Math.max(opts.chunkUs, opts.minWindowUs, 1) : toUs - fromUs + 1;
  // Pushed newest first so that popping reads oldest first.
  const chunks = Math.ceil((toUs - fromUs + 1) / chunk);
  for (let i = chunks - 1; i >= 0; i--) {
    const a = fromUs + i * chunk;
    stack.push([a, Math.min(toUs, a + chunk - 1)]);
  }
  let seenRaw = 0;
  let seenWidth = 0;
  const ask = (a: number, b: number): Promise<Settled> => {
    const splittable = b - a >= 2 * opts.minWindowUs;
    return search(a, b, (raw) => raw < opts.limit || !splittable).then(
      (res) => ({ res }),
      (err: unknown) => ({ err }),
    );
  };
  // The search already asked for the window on top of the stack (see below).
  let ahead: Promise<Settled> | undefined;
  while (stack.length > 0) {
    if (!ahead && out.queries >= opts.maxQueries) {
      out.budgetExhausted = true;
      break;
    }
    const [a, b] = stack.pop()!;
    let got: Settled;
    if (ahead) got = await ahead;
    else {
      out.queries++;
      got = await ask(a, b);
    }
    ahead = undefined;
    if ('err' in got) {
      out.error = got.err;
      break;
    }
    const res = got.res;
    if (res.raw >= opts.limit) {
      if (b - a >= 2 * opts.minWindowUs) {
        // Both ends are inclusive in Jaeger and Zipkin, so the halves must not share their middle µs.
        const mid = a + Math.floor((b - a) / 2);
        stack.push([mid + 1, b], [a, mid]);
        out.splits++;
        continue;
      }
      out.truncated++;
    }
    seenRaw += res.raw;
    seenWidth += b - a + 1;
    out.fetched += res.traces.length + (res.known ?? 0);
    if (opts.onAnswer) {
      // The next window is asked for while this answer is handed on, so the backend's answer time and the
      // hand-off overlap instead of adding up (a trace in both is dropped by the hand-off's own check).
      const next = stack.at(-1);
      if (next && out.queries < opts.maxQueries) {
        out.queries++;
        ahead = ask(next[0], next[1]);
      }
      await opts.onAnswer(res.traces);
    } else for (const t of res.traces) out.traces.set(t.traceId, t);
    out.skippedRecords += res.skipped;
    for (const w of res.warnings) if (out.warnings.length < 20) out.warnings.push(w);
    out.readToUs = b;
  }
  if (seenRaw > 0)
    out.suggestedChunkUs = Math.max(opts.minWindowUs, Math.floor((opts.limit / 2) * (seenWidth / seenRaw)));
  return out;
}
