/**
 * What the poller remembers between polls, behind an interface so the logic is tested without Redis:
 * per (source, service) a watermark, and per source the trace ids already handed on.
 */

export interface PollerState {
  /** µs; undefined before the first poll of this (source, service). */
  getWatermark(source: string, service: string): Promise<number | undefined>;
  /** Moves the watermark forward only: a replayed or late poll can never move it back. */
  setWatermark(source: string, service: string, us: number): Promise<void>;
  /**
   * Records trace ids as seen for `ttlS` seconds and returns those that were not seen before, in input
   * order. Per source, not per service: a trace that crosses five services is found by five pollers.
   */
  markSeen(source: string, traceIds: string[], ttlS: number): Promise<string[]>;
  /** Which of these ids are not marked seen, in input order; marks nothing. */
  unseen(source: string, traceIds: string[]): Promise<string[]>;
  /** Every watermark of a source, for metrics and the admin API. */
  watermarks(source: string): Promise<Map<string, number>>;
  /** Records services where traces begin (their root span's service), as last seen at `nowMs`. */
  noteRoots(source: string, services: string[], nowMs: number): Promise<void>;
  /** Services seen beginning a trace since `sinceMs`. */
  roots(source: string, sinceMs: number): Promise<string[]>;
  /**
   * Takes the (source, service) poll lock for `ttlMs`; undefined when another poll holds it. Two polls of
   * one service at once (a long first poll still reading its backlog when the next interval's starts)
   * would read the same window twice from the same watermark: the source would send all of it again.
   */
  lock(source: string, service: string, ttlMs: number): Promise<PollLock | undefined>;
}

export interface PollLock {
  /** Keeps the lock another `ttlMs` (a long poll calls this as it goes); false when it was lost. */
  extend(): Promise<boolean>;
  release(): Promise<void>;
}

/** For tests and single-process runs; the clock is injected so TTLs are testable. */
export class MemoryPollerState implements PollerState {
  private readonly marks = new Map<string, Map<string, number>>();
  /** key -> expiry, ms. */
  private readonly seen = new Map<string, number>();
  private readonly rootSeen = new Map<string, Map<string, number>>();
  /** (source, service) -> the holder's token and when its lock ends, ms. */
  private readonly locks = new Map<string, { token: number; until: number }>();
  private tokens = 0;
  private sweeps = 0;

  constructor(private readonly nowMs: () => number = Date.now) {}

  async getWatermark(source: string, service: string): Promise<number | undefined> {
    return this.marks.get(source)?.get(service);
  }

  async setWatermark(source: string, service: string, us: number): Promise<void> {
    let m = this.marks.get(source);
    if (!m) this.marks.set(source, (m = new Map()));
    const cur = m.get(service);
    if (cur === undefined || us > cur) m.set(service, us);
  }

  async markSeen(source: string, traceIds: string[], ttlS: number): Promise<string[]> {
    const now = this.nowMs();
    // Sweep now and then so the map stays bounded by what arrived within one TTL.
    if (++this.sweeps % 64 === 0) for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
    const fresh: string[] = [];
    for (const id of traceIds) {
      const key = `${source}\u0000${id}`;
      const exp = this.seen.get(key);
      if (exp !== undefined && exp > now) continue;
      this.seen.set(key, now + ttlS * 1000);
      fresh.push(id);
    }
    return fresh;
  }

  async unseen(source: string, traceIds: string[]): Promise<string[]> {
    const now = this.nowMs();
    return traceIds.filter((id) => !((this.seen.get(`${source}\u0000${id}`) ?? 0) > now));
  }

  async watermarks(source: string): Promise<Map<string, number>> {
    return new Map(this.marks.get(source) ?? []);
  }

  async noteRoots(source: string, services: string[], nowMs: number): Promise<void> {
    let m = this.rootSeen.get(source);
    if (!m) this.rootSeen.set(source, (m = new Map()));
    for (const s of services) m.set(s, nowMs);
  }

  async roots(source: string, sinceMs: number): Promise<string[]> {
    return [...(this.rootSeen.get(source) ?? [])].filter(([, t]) => t >= sinceMs).map(([s]) => s);
  }

  async lock(source: string, service: string, ttlMs: number): Promise<PollLock | undefined> {
    const key = `${source}\u0000${service}`;
    const held = this.locks.get(key);
    if (held && held.until > this.nowMs()) return undefined;
    const token = ++this.tokens;
    this.locks.set(key, { token, until: this.nowMs() + ttlMs });
    const mine = () => this.locks.get(key)?.token === token;
    return {
      extend: async () => {
        if (!mine()) return false;
        this.locks.set(key, { token, until: this.nowMs() + ttlMs });
        return true;
      },
      release: async () => {
        if (mine()) this.locks.delete(key);
      },
    };
  }

  get seenSize(): number {
    return this.seen.size;
  }
}
