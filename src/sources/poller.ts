/**
 * Polls trace backends service by service. Each (source, service) keeps a watermark: everything that
 * started before it has been read. A poll reads [watermark - overlap, now - settle]: the overlap catches
 * spans stored late, the settle time lets traces finish before we take them. Trace ids already handed on
 * are skipped, the watermark only moves to the end of what was read completely, and a failing backend is
 * left alone by backoff and a circuit breaker. No timers and no clock here: the caller passes `now`, so a
 * BullMQ job (or a test) decides when polls happen.
 */
import { endpointOf, type Trace } from '../trace/trace.js';
import { Breaker } from './breaker.js';
import {
  newCounters,
  type Counters,
  type PollerMetrics,
  type PollerOptions,
  type PollMode,
  type PollResult,
  type PollStats,
} from './poll-types.js';
import { SourceError } from './http.js';
import type { TraceSource } from './source.js';
import type { PollLock, PollerState } from './state.js';
import { readWindow, type WindowRead } from './windows.js';
import { OverlapLearner } from './overlap.js';

export type { PollerOptions, PollMode, PollResult, PollStats, PollerMetrics } from './poll-types.js';

/** Traces a sweep asks for while no service where traces begin is known: enough to learn some. */
const LEARN_LIMIT = 20;

interface SourceEntry {
  source: TraceSource;
  breaker: Breaker;
  services: Set<string>;
  /** Fixed service list: no discovery. */
  fixed: boolean;
  sourcePolls: number;
  discoveryFailures: number;
}

/** How long a poll's lock lasts unless the poll extends it (it does with every answer). */
const LOCK_MS = 60_000;

function emptyStats(source: string, service: string, watermarkUs: number, nowUs: number): PollStats {
  return {
    source,
    service,
    fromUs: watermarkUs,
    toUs: watermarkUs,
    watermarkUs,
    lagUs: nowUs - watermarkUs,
    queries: 0,
    windowsSplit: 0,
    truncatedWindows: 0,
    fetched: 0,
    duplicates: 0,
    newTraces: 0,
    skippedRecords: 0,
    warnings: [],
  };
}

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
  private readonly overlap: OverlapLearner;

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
      intervalS: opts.intervalS ?? 30,
      minOverlapS: Math.min(opts.minOverlapS ?? Infinity, opts.overlapS ?? 60),
      fullOverlapEvery: Math.max(1, opts.fullOverlapEvery ?? 3),
    };
    this.overlap = new OverlapLearner({
      maxUs: this.o.overlapS * 1e6,
      minUs: this.o.minOverlapS * 1e6,
      fullEveryUs: this.o.fullOverlapEvery * this.o.intervalS * 1e6,
      memoryUs: 3600 * 1e6,
    });
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
  ): Promise<{
    services: string[];
    added: string[];
    removed: string[];
    /** The source's failure to answer. */
    error?: string;
    /** Not asked: the source is backed off or its breaker is open (as a poll's stats say it). */
    skipped?: 'breaker-open' | 'backoff';
  }> {
    const e = this.entry(sourceName);
    if (e.fixed) return { services: this.services(sourceName), added: [], removed: [] };
    const gate = e.breaker.allow(nowUs);
    if (!gate.ok)
      return {
        services: this.services(sourceName),
        added: [],
        removed: [],
        skipped: gate.reason,
      };
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
   * The services to poll in interval number `slot`: those where traces begin, polled from their
   * watermarks, and the others swept in turn, each every `sweepEvery`th interval. Before any root is known,
   * every service is swept. A trace begins in a service where traces begin, so the polls find every trace
   * that has its root span; a sweep samples the rest (see PollerOptions.intervalS).
   */
  async due(sourceName: string, slot: number, nowMs: number): Promise<{ service: string; sweep: boolean }[]> {
    const services = this.services(sourceName);
    if (this.o.sweepEvery === 1) return services.map((service) => ({ service, sweep: false }));
    const roots = new Set(await this.state.roots(sourceName, nowMs - this.o.rootTtlS * 1000));
    // Nothing learned yet: every service is swept, and a sweep that finds no root known asks for a few of
    // its newest traces over the whole look-back, which says where traces begin.
    if (roots.size === 0) return services.map((service) => ({ service, sweep: true }));
    return services
      .filter((s) => roots.has(s) || (slot + spread(s)) % this.o.sweepEvery === 0)
      .map((service) => ({ service, sweep: !roots.has(service) }));
  }

  /**
   * One poll of one (source, service); `sweep` reads a recent sample instead and leaves the watermark alone.
   * Never throws for backend failures: they are in `stats.error`.
   *
   * With `deliver`, the new traces are handed over before anything is marked: unseen ids are looked up,
   * delivered (e.g. enqueued for scoring), and only then marked seen and the watermark moved. A crash in
   * between re-reads and re-delivers (at least once; the scoring side is idempotent) instead of losing them.
   */
  async pollOnce(
    sourceName: string,
    service: string,
    nowUs: number,
    deliver?: (traces: Trace[]) => Promise<void>,
    mode: PollMode = 'poll',
  ): Promise<PollResult> {
    this.entry(sourceName);
    const lock = await this.state.lock(sourceName, service, LOCK_MS);
    if (!lock) {
      const wm = this.count(sourceName, service).watermarkUs ?? nowUs;
      return { newTraces: [], stats: { ...emptyStats(sourceName, service, wm, nowUs), skipped: 'busy' } };
    }
    try {
      return await this.pollLocked(sourceName, service, nowUs, lock, deliver, mode);
    } finally {
      // A lock that cannot be dropped ends by itself after LOCK_MS.
      await lock.release().catch(() => undefined);
    }
  }

  private async pollLocked(
    sourceName: string,
    service: string,
    nowUs: number,
    lock: PollLock,
    deliver: ((traces: Trace[]) => Promise<void>) | undefined,
    mode: PollMode,
  ): Promise<PollResult> {
    const e = this.entry(sourceName);
    const c = this.count(sourceName, service);
    const key = `${sourceName}\u0000${service}`;
    const wm = await this.state.getWatermark(sourceName, service);
    const settleUs = this.o.settleS * 1e6;
    const base = wm ?? nowUs - this.o.initialLookbackS * 1e6;
    const sweep = mode === 'sweep';
    // Before any service where traces begin is known, a sweep looks as far back as a first poll, for a few.
    const learning =
      sweep && (await this.state.roots(sourceName, nowUs / 1000 - this.o.rootTtlS * 1000)).length === 0;
    const toUs = sweep ? nowUs - settleUs : Math.min(nowUs - settleUs, base + this.o.maxWindowS * 1e6);
    const fromUs = sweep
      ? Math.max(0, toUs - (learning ? this.o.initialLookbackS : this.o.intervalS / 2) * 1e6)
      : wm !== undefined
        ? Math.max(0, wm - this.overlap.overlapUs(key, nowUs, wm, toUs))
        : base;
    const stats: PollStats = { ...emptyStats(sourceName, service, wm ?? base, nowUs), fromUs, toUs };
    c.lastPollUs = nowUs;
    c.watermarkUs = wm ?? c.watermarkUs;
    if (toUs <= fromUs) return { newTraces: [], stats: { ...stats, skipped: 'nothing-to-read' } };
    const gate = e.breaker.allow(nowUs);
    if (!gate.ok)
      return { newTraces: [], stats: { ...stats, skipped: gate.reason, retryAtUs: gate.retryAtUs } };

    c.polls++;
    const limit = sweep && learning ? Math.min(LEARN_LIMIT, this.o.limit) : this.o.limit;
    // Traces handed on already are dropped before they are read: most of what a poll finds was found by
    // the poller of another service the trace crosses, or by the previous poll's overlap.
    const unseen = (ids: string[]) => this.state.unseen(sourceName, ids);
    const newTraces: Trace[] = [];
    const read = await readWindow(
      (startUs, endUs, useful) => e.source.search({ service, startUs, endUs, limit, unseen, useful }),
      fromUs,
      toUs,
      // A sweep is one search, its answer taken as it comes (full or not): a sample.
      sweep
        ? {
            limit,
            minWindowUs: toUs - fromUs + 1,
            maxQueries: 1,
            onAnswer: this.handOn(sourceName, nowUs, newTraces, lock, deliver),
          }
        : {
            limit,
            minWindowUs: this.o.minWindowS * 1e6,
            maxQueries: this.o.maxQueriesPerPoll,
            chunkUs: this.chunks.get(key),
            onAnswer: this.handOn(sourceName, nowUs, newTraces, lock, deliver),
          },
    );
    if (!sweep) {
      if (read.suggestedChunkUs !== undefined) this.chunks.set(key, read.suggestedChunkUs);
      // No traffic at all: stop chunking, one query covers the window.
      else if (read.error === undefined && read.fetched === 0) this.chunks.delete(key);
      if (wm !== undefined && read.error === undefined)
        this.overlap.observe(key, nowUs, service, wm, newTraces);
    }
    this.account(e, c, stats, read, newTraces.length, nowUs);
    // The first poll records where its backlog began, even if nothing was read, so the start stays put.
    if (!sweep && (read.readToUs > fromUs || wm === undefined)) {
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
    return { newTraces, stats };
  }

  /**
   * Each answer is handed on as it comes, before the next search: scoring starts sooner, a long backlog
   * is never held in memory whole, and a poller running beside this one finds these traces seen already.
   * Marked after delivery: a crash in between re-delivers (the scoring side is idempotent), never loses.
   */
  private handOn(
    sourceName: string,
    nowUs: number,
    into: Trace[],
    lock: PollLock,
    deliver?: (traces: Trace[]) => Promise<void>,
  ): (traces: Trace[]) => Promise<void> {
    return async (traces) => {
      await lock.extend();
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
      into.push(...got);
      if (got.length > 0)
        await this.state.noteRoots(
          sourceName,
          [...new Set(got.map((t) => endpointOf(t).service))],
          nowUs / 1000,
        );
    };
  }

  /** A read's figures into the poll's stats and the poller's counters; its failure into the breaker. */
  private account(
    e: SourceEntry,
    c: Counters,
    stats: PollStats,
    read: WindowRead,
    found: number,
    nowUs: number,
  ): void {
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
    stats.newTraces = found;
    stats.duplicates = read.fetched - found;
    c.queries += read.queries;
    c.tracesFetched += read.fetched;
    c.duplicatesSkipped += stats.duplicates;
    c.newTraces += found;
    c.windowsSplit += read.splits;
    c.truncated += read.truncated;
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
