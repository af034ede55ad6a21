/**
 * Polls trace backends service by service. Each (source, service) keeps a watermark: everything that
 * started before it has been read. A poll reads [watermark - overlap, now - settle]: the overlap catches
 * spans stored late, the settle time lets traces finish before we take them. Trace ids already handed on
 * are skipped, the watermark only moves to the end of what was read completely, and a failing backend is
 * left alone by backoff and a circuit breaker. No timers and no clock here: the caller passes `now`, so a
 * BullMQ job (or a test) decides when polls happen.
 */
import { endpointOf, type Trace } from '../trace/trace.js';
import { Breaker, type BreakerOptions, type BreakerState } from './breaker.js';
import { SourceError } from './http.js';
import type { TraceSource } from './source.js';
import type { PollerState } from './state.js';
import { readWindow } from './windows.js';

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
  breaker?: BreakerOptions;
}

export type SkipReason = 'backoff' | 'breaker-open' | 'nothing-to-read';

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

interface Counters {
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

interface SourceEntry {
  source: TraceSource;
  breaker: Breaker;
  services: Set<string>;
  /** Fixed service list: no discovery. */
  fixed: boolean;
  sourcePolls: number;
  discoveryFailures: number;
}

const newCounters = (): Counters => ({
  polls: 0,
  tracesFetched: 0,
  duplicatesSkipped: 0,
  newTraces: 0,
  windowsSplit: 0,
  truncated: 0,
  failures: 0,
  queries: 0,
});

/** A stable small number per service, so the services swept in turn are spread over the intervals. */
function spread(service: string): number {
  let h = 0;
  for (let i = 0; i < service.length; i++) h = (h * 31 + service.charCodeAt(i)) >>> 0;
  return h;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Failures of the backend itself trip the breaker; a 4xx (our request is wrong) does not. */
function isBackendFailure(err: unknown): boolean {
  return !(err instanceof SourceError) || err.retryable;
}

export class Poller {
  private readonly sources = new Map<string, SourceEntry>();
  private readonly counters = new Map<string, Counters>();
  /** Per poller, the chunk width the last poll's traffic suggests (memory only: a restart relearns it). */
  private readonly chunks = new Map<string, number>();
  private readonly o: Required<Omit<PollerOptions, 'breaker'>>;

  constructor(
    sources: TraceSource[],
    private readonly state: PollerState,
    private readonly opts: PollerOptions = {},
    /** Fixed service lists per source name; a source without one discovers its services. */
    fixedServices: Record<string, string[]> = {},
  ) {
    this.o = {
      overlapS: opts.overlapS ?? 60,
      settleS: opts.settleS ?? 30,
      limit: opts.limit ?? 500,
      initialLookbackS: opts.initialLookbackS ?? 3600,
      minWindowS: opts.minWindowS ?? 1,
      maxWindowS: opts.maxWindowS ?? 3600,
      maxQueriesPerPoll: opts.maxQueriesPerPoll ?? 64,
      seenTtlS: opts.seenTtlS ?? 1800,
      refreshServicesEvery: opts.refreshServicesEvery ?? 10,
      sweepEvery: Math.max(1, Math.floor(opts.sweepEvery ?? 10)),
      rootTtlS: opts.rootTtlS ?? 86_400,
    };
    if (this.o.limit < 1) throw new Error(`poller limit must be at least 1, got ${this.o.limit}`);
    for (const s of sources) {
      if (this.sources.has(s.name)) throw new Error(`two sources are named ${JSON.stringify(s.name)}`);
      const fixed = fixedServices[s.name];
      this.sources.set(s.name, {
        source: s,
        breaker: new Breaker(opts.breaker),
        services: new Set(fixed ?? []),
        fixed: fixed !== undefined,
        sourcePolls: 0,
        discoveryFailures: 0,
      });
    }
  }

  private entry(sourceName: string): SourceEntry {
    const e = this.sources.get(sourceName);
    if (!e) throw new Error(`unknown source ${JSON.stringify(sourceName)}`);
    return e;
  }

  private count(source: string, service: string): Counters {
    const key = `${source}\u0000${service}`;
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = newCounters()));
    return c;
  }

  /** The services this poller polls for a source (after the last discovery). */
  services(sourceName: string): string[] {
    return [...this.entry(sourceName).services].sort();
  }

  sourceNames(): string[] {
    return [...this.sources.keys()];
  }

  source(sourceName: string): TraceSource {
    return this.entry(sourceName).source;
  }

  /** Asks the backend for its services; new ones get pollers, vanished ones are dropped (their watermark stays). */
  async discover(
    sourceName: string,
    nowUs: number,
  ): Promise<{ services: string[]; added: string[]; removed: string[]; error?: string }> {
    const e = this.entry(sourceName);
    if (e.fixed) return { services: this.services(sourceName), added: [], removed: [] };
    const gate = e.breaker.allow(nowUs);
    if (!gate.ok) return { services: this.services(sourceName), added: [], removed: [], error: gate.reason };
    let list: string[];
    try {
      list = await e.source.services();
      e.breaker.success();
    } catch (err) {
      e.discoveryFailures++;
      if (isBackendFailure(err)) e.breaker.failure(nowUs);
      return { services: this.services(sourceName), added: [], removed: [], error: message(err) };
    }
    const next = new Set(list);
    const added = list.filter((s) => !e.services.has(s));
    const removed = [...e.services].filter((s) => !next.has(s));
    e.services = next;
    return { services: this.services(sourceName), added, removed };
  }

  /**
   * The services to poll in interval number `slot`: those where traces begin, and the others in turn, each
   * every `sweepEvery`th interval. Before any root is known, all of them. Their watermarks make a rarer poll
   * read everything since the last one, so nothing is skipped, only found later.
   */
  async due(sourceName: string, slot: number, nowMs: number): Promise<{ service: string; sweep: boolean }[]> {
    const services = this.services(sourceName);
    const all = services.map((service) => ({ service, sweep: false }));
    if (this.o.sweepEvery === 1) return all;
    const roots = new Set(await this.state.roots(sourceName, nowMs - this.o.rootTtlS * 1000));
    if (roots.size === 0) return all;
    return services
      .filter((s) => roots.has(s) || (slot + spread(s)) % this.o.sweepEvery === 0)
      .map((service) => ({ service, sweep: !roots.has(service) }));
  }

  /** One poll of one (source, service). Never throws for backend failures: they are in `stats.error`. */
  /**
   * With `deliver`, the new traces are handed over before anything is marked: unseen ids are looked up,
   * delivered (e.g. enqueued for scoring), and only then marked seen and the watermark moved. A crash in
   * between re-reads and re-delivers (at least once; the scoring side is idempotent) instead of losing them.
   */
  async pollOnce(
    sourceName: string,
    service: string,
    nowUs: number,
    deliver?: (traces: Trace[]) => Promise<void>,
  ): Promise<PollResult> {
    const e = this.entry(sourceName);
    const c = this.count(sourceName, service);
    const wm = await this.state.getWatermark(sourceName, service);
    const settleUs = this.o.settleS * 1e6;
    const base = wm ?? nowUs - this.o.initialLookbackS * 1e6;
    const fromUs = wm !== undefined ? Math.max(0, wm - this.o.overlapS * 1e6) : base;
    const toUs = Math.min(nowUs - settleUs, base + this.o.maxWindowS * 1e6);
    const stats: PollStats = {
      source: sourceName,
      service,
      fromUs,
      toUs,
      watermarkUs: wm ?? base,
      lagUs: nowUs - (wm ?? base),
      queries: 0,
      windowsSplit: 0,
      truncatedWindows: 0,
      fetched: 0,
      duplicates: 0,
      newTraces: 0,
      skippedRecords: 0,
      warnings: [],
    };
    c.lastPollUs = nowUs;
    c.watermarkUs = wm ?? c.watermarkUs;
    if (toUs <= fromUs) return { newTraces: [], stats: { ...stats, skipped: 'nothing-to-read' } };
    const gate = e.breaker.allow(nowUs);
    if (!gate.ok)
      return { newTraces: [], stats: { ...stats, skipped: gate.reason, retryAtUs: gate.retryAtUs } };

    c.polls++;
    const limit = this.o.limit;
    const key = `${sourceName}\u0000${service}`;
    // Traces handed on already are dropped before they are read: most of what a poll finds was found by
    // the poller of another service the trace crosses, or by the previous poll's overlap.
    const unseen = (ids: string[]) => this.state.unseen(sourceName, ids);
    // Each answer is handed on as it comes, before the next search: scoring starts sooner, a long backlog
    // is never held in memory whole, and a poller running beside this one finds these traces seen already.
    // Marked after delivery: a crash in between re-delivers (the scoring side is idempotent), never loses.
    const newTraces: Trace[] = [];
    const handOn = async (traces: Trace[]) => {
      const byId = new Map(traces.map((t) => [t.traceId, t]));
      const ids = [...byId.keys()];
      if (ids.length === 0) return;
      let fresh: string[];
      if (deliver) {
        fresh = await this.state.unseen(sourceName, ids);
        if (fresh.length > 0) await deliver(fresh.map((id) => byId.get(id)!));
        if (fresh.length > 0) await this.state.markSeen(sourceName, fresh, this.o.seenTtlS);
      } else fresh = await this.state.markSeen(sourceName, ids, this.o.seenTtlS);
      const got = fresh.map((id) => byId.get(id)!);
      newTraces.push(...got);
      if (got.length > 0)
        await this.state.noteRoots(
          sourceName,
          [...new Set(got.map((t) => endpointOf(t).service))],
          nowUs / 1000,
        );
    };
    const read = await readWindow(
      (startUs, endUs, useful) => e.source.search({ service, startUs, endUs, limit, unseen, useful }),
      fromUs,
      toUs,
      {
        limit,
        minWindowUs: this.o.minWindowS * 1e6,
        maxQueries: this.o.maxQueriesPerPoll,
        chunkUs: this.chunks.get(key),
        onAnswer: handOn,
      },
    );
    if (read.suggestedChunkUs !== undefined) this.chunks.set(key, read.suggestedChunkUs);
    // No traffic at all: stop chunking, one query covers the window.
    else if (read.error === undefined && read.fetched === 0) this.chunks.delete(key);
    stats.queries = read.queries;
    stats.windowsSplit = read.splits;
    stats.truncatedWindows = read.truncated;
    stats.fetched = read.fetched;
    stats.skippedRecords = read.skippedRecords;
    stats.warnings = read.warnings;
    if (read.budgetExhausted)
      stats.warnings.push(`query budget of ${this.o.maxQueriesPerPoll} used up; the rest is read next poll`);

    if (read.error !== undefined) {
      c.failures++;
      c.lastError = message(read.error);
      stats.error = c.lastError;
      if (isBackendFailure(read.error)) e.breaker.failure(nowUs);
    } else e.breaker.success();

    stats.newTraces = newTraces.length;
    stats.duplicates = read.fetched - newTraces.length;

    // The first poll records where its backlog began, even if nothing was read, so the start stays put.
    if (read.readToUs > fromUs || wm === undefined) {
      const mark = Math.max(read.readToUs, wm ?? read.readToUs);
      try {
        await this.state.setWatermark(sourceName, service, mark);
        stats.watermarkUs = mark;
        c.watermarkUs = mark;
      } catch (err) {
        // The traces are marked seen, so they must go out now; the watermark is simply re-read next poll.
        stats.warnings.push(`could not store the watermark: ${message(err)}`);
      }
    }
    stats.lagUs = nowUs - stats.watermarkUs;
    c.queries += read.queries;
    c.tracesFetched += read.fetched;
    c.duplicatesSkipped += stats.duplicates;
    c.newTraces += newTraces.length;
    c.windowsSplit += read.splits;
    c.truncated += read.truncated;
    return { newTraces, stats };
  }

  /**
   * Polls every service of a source in turn, refreshing the service list first on every Nth call. For
   * callers that run one job per source rather than one per service.
   */
  async pollSource(
    sourceName: string,
    nowUs: number,
    onResult?: (r: PollResult) => void | Promise<void>,
  ): Promise<{ results: PollStats[]; added: string[]; removed: string[] }> {
    const e = this.entry(sourceName);
    let added: string[] = [];
    let removed: string[] = [];
    if (e.sourcePolls++ % this.o.refreshServicesEvery === 0 || (e.services.size === 0 && !e.fixed)) {
      ({ added, removed } = await this.discover(sourceName, nowUs));
    }
    const results: PollStats[] = [];
    for (const service of this.services(sourceName)) {
      const r = await this.pollOnce(sourceName, service, nowUs);
      results.push(r.stats);
      await onResult?.(r);
      // Once the breaker opens, the other services would only be refused too.
      if (r.stats.skipped === 'breaker-open') break;
    }
    return { results, added, removed };
  }

  metrics(nowUs: number): PollerMetrics {
    const sources = [...this.sources.values()].map((e) => ({
      name: e.source.name,
      kind: e.source.kind,
      breaker: e.breaker.state(nowUs),
      consecutiveFailures: e.breaker.consecutiveFailures,
      breakerOpens: e.breaker.opens,
      services: e.services.size,
      discoveryFailures: e.discoveryFailures,
    }));
    const pollers = [...this.counters].map(([key, c]) => {
      const [source, service] = key.split('\u0000');
      return {
        source,
        service,
        ...c,
        watermarkUs: c.watermarkUs,
        lagUs: c.watermarkUs === undefined ? undefined : nowUs - c.watermarkUs,
      };
    });
    return { sources, pollers };
  }

  async close(): Promise<void> {
    await Promise.all([...this.sources.values()].map((e) => e.source.close()));
  }
}
