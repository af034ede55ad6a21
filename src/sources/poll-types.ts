/** The poller's options, what one poll reports, and the counters kept per (source, service). */
import type { Trace } from '../trace/trace.js';
import type { BreakerOptions, BreakerState } from './breaker.js';

export interface PollerOptions {
  /** Seconds re-read before the watermark (default 60). */
  overlapS?: number;
  /** Seconds before now not read yet, so traces are complete (default 30). */
  settleS?: number;
  /** Traces asked for per search (default 500). */
  limit?: number;
  /** How far back the first poll of a service starts (default 3600 s). */
  initialLookbackS?: number;
  /** Narrowest window a full answer is split down to (default 1 s). */
  minWindowS?: number;
  /** Most time read in one poll; a longer backlog is caught up over several polls (default 3600 s). */
  maxWindowS?: number;
  /** Searches per poll before the rest is left for the next one (default 64). */
  maxQueriesPerPoll?: number;
  /** How long a trace id is remembered as seen (default 1800 s; must exceed overlap + settle + poll gaps). */
  seenTtlS?: number;
  /** Service lists are refreshed on every Nth pollSource call (default 10). */
  refreshServicesEvery?: number;
  /**
   * Services where no trace begins are polled only every Nth interval (default 10; 1 polls every service
   * every interval). A search by service finds every trace that touches the service, so a trace crossing
   * eight services is found by eight pollers: polling the services where traces begin finds each once, and
   * the sweep of the others catches traces whose root span is missing or that begin somewhere new.
   */
  sweepEvery?: number;
  /** How long a service counts as one where traces begin after its last such trace (default 86 400 s). */
  rootTtlS?: number;
  /**
   * Seconds between polls (default 30), as the scheduler runs them. A sweep reads half of that, back from
   * now - settle: it samples the service's recent traffic for traces that begin there, or whose root span
   * is missing, instead of reading everything since its last sweep (a search by service returns every
   * trace touching the service, so full sweeps made the source send each trace once more for every
   * service it crosses). A trace found there makes its service one where traces begin, polled in full from
   * then on (from the initial look-back when it never was).
   */
  intervalS?: number;
  /**
   * The least overlap a poll re-reads once it has measured how late traces arrive (see overlap.ts); the
   * default, the whole overlap, learns nothing.
   */
  minOverlapS?: number;
  /**
   * Once every this many intervals a poll re-reads the whole overlap (default 3), which is how lateness
   * beyond the learned overlap is found. In the service bench (5 s interval, 2 s settle, 5 s overlap, 1% of
   * traces stored 6 s late) every tenth interval missed 3 of 422 traces, every third 1 of 417.
   */
  fullOverlapEvery?: number;
  breaker?: BreakerOptions;
}

/** How a poll reads: `poll` from the watermark, `sweep` a recent sample (see PollerOptions.intervalS). */
export type PollMode = 'poll' | 'sweep';

/** `busy`: another poll of the same service is still running (see PollerState.lock). */
export type SkipReason = 'backoff' | 'breaker-open' | 'nothing-to-read' | 'busy';

export interface PollStats {
  source: string;
  service: string;
  /** The window asked for, µs. */
  fromUs: number;
  toUs: number;
  /** The watermark after the poll, µs. */
  watermarkUs: number;
  /** now - watermark, µs. */
  lagUs: number;
  queries: number;
  windowsSplit: number;
  truncatedWindows: number;
  fetched: number;
  duplicates: number;
  newTraces: number;
  skippedRecords: number;
  /** Why no search ran. */
  skipped?: SkipReason;
  /** When skipped for backoff or the breaker, when to try again, µs. */
  retryAtUs?: number;
  /** The failure that stopped the poll (what was read before it is still returned). */
  error?: string;
  warnings: string[];
}

export interface PollResult {
  newTraces: Trace[];
  stats: PollStats;
}

export interface Counters {
  polls: number;
  tracesFetched: number;
  duplicatesSkipped: number;
  newTraces: number;
  windowsSplit: number;
  truncated: number;
  failures: number;
  queries: number;
  watermarkUs?: number;
  lastPollUs?: number;
  lastError?: string;
}

export interface PollerMetrics {
  sources: {
    name: string;
    kind: string;
    breaker: BreakerState;
    consecutiveFailures: number;
    breakerOpens: number;
    services: number;
    discoveryFailures: number;
  }[];
  pollers: ({ source: string; service: string; lagUs: number | undefined } & Omit<Counters, 'watermarkUs'> & {
      watermarkUs: number | undefined;
    })[];
}

export const newCounters = (): Counters => ({
  polls: 0,
  tracesFetched: 0,
  duplicatesSkipped: 0,
  newTraces: 0,
  windowsSplit: 0,
  truncated: 0,
  failures: 0,
  queries: 0,
});
