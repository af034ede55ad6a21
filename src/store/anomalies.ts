import type { RedisClient } from './redis-client.js';
import { AnomalySchema, type Anomaly } from './anomaly-record.js';
import {
  NAME_SET,
  REFS_KEY,
  TRAFFIC_KEY,
  checkId,
  dimIndex,
  endpointName,
  formatRefs,
  globalIndex,
  indexEntries,
  parseEndpointName,
  parseRefs,
  recordKey,
  serviceName,
  timeMs,
  type Dimension,
} from './anomaly-keys.js';
import { FORGET_NAME, PUT, REMOVE } from './anomaly-scripts.js';
import {
  QueryError,
  decodeCursor,
  encodeCursor,
  encodeScore,
  encodeTime,
  idOfMember,
  type Order,
} from './sort-key.js';

export { CursorError, QueryError } from './sort-key.js';
export type { Order } from './sort-key.js';

export interface AnomalyQuery {
  order?: Order;
  service?: string;
  operation?: string;
  /** `service:operation` (split at the first ':'). */
  endpoint?: string;
  /** Trace start bounds, epoch ms, inclusive. */
  from?: number;
  to?: number;
  minScore?: number;
  rootCauseService?: string;
  /** Default 50, at most 500. */
  limit?: number;
  cursor?: string;
}

export interface AnomalyPage {
  items: Anomaly[];
  /** Present when the index may hold more; the next page can still come back empty after filtering. */
  nextCursor?: string;
}

export interface Feedback {
  verdict: 'true-positive' | 'false-positive';
  note?: string;
}

export interface RetentionOptions {
  maxAgeS: number;
  maxCount: number;
}

export interface AnomalyStats {
  total: number;
  services: { service: string; count: number }[];
  endpoints: { service: string; operation: string; count: number }[];
  rootCauseServices: { service: string; count: number }[];
}

export interface TrafficCount {
  service: string;
  operation: string;
  scored: number;
  anomalous: number;
}

export interface AnomalyStoreOptions {
  /** Record TTL, a backstop for when prune never runs (default 30 days). */
  maxAgeS?: number;
  /** Index entries examined per list call before it returns a partial page with a cursor (default 5000). */
  maxScan?: number;
  /** A clock for tests. */
  now?: () => number;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
const CAS_RETRIES = 50;
const BATCH = 500;

/**
 * Anomalies in Redis: one JSON string per record and lexicographic sorted-set indexes by score and by trace
 * start time, globally and per service, endpoint and root-cause service. Writes are compare-and-set Lua
 * scripts, so putting a record twice (or re-scoring it) leaves exactly one entry in each index.
 */
export class AnomalyStore {
  private readonly maxAgeS: number;
  private readonly maxScan: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    opts: AnomalyStoreOptions = {},
  ) {
    this.maxAgeS = opts.maxAgeS ?? 30 * 86400;
    this.maxScan = opts.maxScan ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Stores or updates an anomaly. A re-score keeps the first `detectedAt` and any feedback already given.
   * Returns whether the id was new, and the record as stored.
   */
  async put(input: Anomaly): Promise<{ created: boolean; record: Anomaly }> {
    const a = AnomalySchema.parse(input);
    checkId(a.id);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const { raw, refs } = await this.read(a.id);
      const old = raw ? (JSON.parse(raw) as Anomaly) : undefined;
      const next: Anomaly = old
        ? { ...a, detectedAt: old.detectedAt, feedback: a.feedback ?? old.feedback }
        : a;
      const r = await this.write(a.id, raw ?? '', refs, next);
      if (r !== 0) return { created: r === 1, record: next };
      await backoff(attempt);
    }
    throw new Error(`anomaly ${a.id}: too many concurrent writers, gave up after ${CAS_RETRIES} attempts`);
  }

  async get(id: string): Promise<Anomaly | undefined> {
    const raw = await this.redis.get(recordKey(id));
    return raw ? (JSON.parse(raw) as Anomaly) : undefined;
  }

  /** Records an engineer's verdict; undefined when the anomaly is unknown (or already pruned). */
  async feedback(id: string, fb: Feedback): Promise<Anomaly | undefined> {
    checkId(id);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const { raw, refs } = await this.read(id);
      if (!raw) return undefined;
      const rec = JSON.parse(raw) as Anomaly;
      const next: Anomaly = {
        ...rec,
        feedback: {
          verdict: fb.verdict,
          ...(fb.note ? { note: fb.note } : {}),
          at: new Date(this.now()).toISOString(),
        },
      };
      if ((await this.write(id, raw, refs, next)) !== 0) return next;
      await backoff(attempt);
    }
    throw new Error(`anomaly ${id}: too many concurrent writers, gave up after ${CAS_RETRIES} attempts`);
  }

  async list(q: AnomalyQuery = {}): Promise<AnomalyPage> {
    const order = q.order ?? 'score';
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(q.limit ?? DEFAULT_LIMIT)));
    let service = q.service;
    let operation = q.operation;
    if (q.endpoint !== undefined) {
      const i = q.endpoint.indexOf(':');
      if (i < 0) throw new QueryError('endpoint', `endpoint "${q.endpoint}" must be service:operation`);
      const ep = { service: q.endpoint.slice(0, i), operation: q.endpoint.slice(i + 1) };
      // An endpoint that contradicts service/operation matches nothing, rather than silently one of them.
      if (
        (service !== undefined && service !== ep.service) ||
        (operation !== undefined && operation !== ep.operation)
      )
        return { items: [] };
      service = ep.service;
      operation = ep.operation;
    }
    const key =
      service !== undefined && operation !== undefined
        ? dimIndex('ep', endpointName(service, operation), order)
        : service !== undefined
          ? dimIndex('svc', serviceName(service), order)
          : q.rootCauseService !== undefined
            ? dimIndex('rc', serviceName(q.rootCauseService), order)
            : globalIndex(order);

    // Lex bounds, highest first. Range filters on the order's own dimension narrow the scan itself.
    let max = '+';
    let min = '-';
    if (order === 'score' && q.minScore !== undefined) min = '[' + encodeScore(q.minScore);
    if (order === 'time' && q.from !== undefined) min = '[' + encodeTime(q.from);
    if (order === 'time' && q.to !== undefined) max = '(' + encodeTime(q.to + 1);
    if (q.cursor !== undefined) {
      const last = decodeCursor(q.cursor, order);
      if (max === '+' || last < max.slice(1)) max = '(' + last;
    }

    const keep = (a: Anomaly): boolean => {
      if (service !== undefined && a.service !== service) return false;
      if (operation !== undefined && a.operation !== operation) return false;
      if (q.minScore !== undefined && a.score < q.minScore) return false;
      const t = timeMs(a);
      if (q.from !== undefined && t < q.from) return false;
      if (q.to !== undefined && t > q.to) return false;
      if (q.rootCauseService !== undefined && !a.rootCauses.some((c) => c.service === q.rootCauseService))
        return false;
      return true;
    };

    const items: Anomaly[] = [];
    let scanned = 0;
    while (true) {
      const batch = Math.min(BATCH, Math.max(limit - items.length, 50));
      const members = await this.redis.zrange(key, max, min, 'BYLEX', 'REV', 'LIMIT', 0, batch);
      if (members.length === 0) return { items };
      const raws = await this.redis.mget(members.map((m) => recordKey(idOfMember(m))));
      for (let i = 0; i < members.length; i++) {
        scanned++;
        const raw = raws[i];
        // A record past its TTL whose entries prune has not reached yet: skipped.
        if (raw) {
          const a = JSON.parse(raw) as Anomaly;
          if (keep(a)) items.push(a);
        }
        if (items.length === limit || scanned >= this.maxScan) {
          const more = i < members.length - 1 || members.length === batch;
          return more ? { items, nextCursor: encodeCursor(order, members[i]) } : { items };
        }
      }
      if (members.length < batch) return { items };
      max = '(' + members[members.length - 1];
    }
  }

  /** Removes records older than maxAgeS (by trace start) and then the oldest beyond maxCount, with every index entry. */
  async prune(opts: RetentionOptions): Promise<{ byAge: number; byCount: number }> {
    const byTime = globalIndex('time');
    const cutoff = this.now() - opts.maxAgeS * 1000;
    let byAge = 0;
    while (true) {
      const old = await this.redis.zrange(byTime, '-', '(' + encodeTime(cutoff), 'BYLEX', 'LIMIT', 0, BATCH);
      if (old.length === 0) break;
      byAge += await this.removeMembers(old);
    }
    let byCount = 0;
    while (true) {
      const excess = (await this.redis.zcard(byTime)) - opts.maxCount;
      if (excess <= 0) break;
      const oldest = await this.redis.zrange(byTime, 0, Math.min(excess, BATCH) - 1);
      byCount += await this.removeMembers(oldest);
    }
    await this.forgetEmptyNames();
    return { byAge, byCount };
  }

  /** Removes one anomaly and its index entries; false when it was not there. */
  async remove(id: string): Promise<boolean> {
    checkId(id);
    return (await this.removeIds([id])) > 0;
  }

  async stats(): Promise<AnomalyStats> {
    const dims: Dimension[] = ['svc', 'ep', 'rc'];
    const names = await Promise.all(dims.map((d) => this.redis.smembers(NAME_SET[d])));
    const counts = await Promise.all(
      dims.map((d, k) => Promise.all(names[k].map((n) => this.redis.zcard(dimIndex(d, n, 'time'))))),
    );
    const byCount = <T extends { count: number }>(xs: T[]) =>
      xs.filter((x) => x.count > 0).sort((a, b) => b.count - a.count);
    return {
      total: await this.redis.zcard(globalIndex('time')),
      services: byCount(names[0].map((n, i) => ({ service: decodeURIComponent(n), count: counts[0][i] }))),
      endpoints: byCount(names[1].map((n, i) => ({ ...parseEndpointName(n), count: counts[1][i] }))),
      rootCauseServices: byCount(
        names[2].map((n, i) => ({ service: decodeURIComponent(n), count: counts[2][i] })),
      ),
    };
  }

  /** Counts scored traffic per endpoint (scored and anomalous), so the API can report anomaly rates. */
  async noteScored(
    items: readonly { service: string; operation: string; anomalous: boolean }[],
  ): Promise<void> {
    if (items.length === 0) return;
    const inc = new Map<string, number>();
    const add = (f: string) => inc.set(f, (inc.get(f) ?? 0) + 1);
    for (const it of items) {
      const ep = endpointName(it.service, it.operation);
      add(`${ep}|scored`);
      if (it.anomalous) add(`${ep}|anomalous`);
    }
    const m = this.redis.multi();
    for (const [f, n] of inc) m.hincrby(TRAFFIC_KEY, f, n);
    await m.exec();
  }

  async traffic(): Promise<TrafficCount[]> {
    const h = await this.redis.hgetall(TRAFFIC_KEY);
    const out = new Map<string, TrafficCount>();
    for (const [f, v] of Object.entries(h)) {
      const bar = f.lastIndexOf('|');
      const ep = f.slice(0, bar);
      let t = out.get(ep);
      if (!t) out.set(ep, (t = { ...parseEndpointName(ep), scored: 0, anomalous: 0 }));
      if (f.slice(bar + 1) === 'scored') t.scored = Number(v);
      else t.anomalous = Number(v);
    }
    return [...out.values()];
  }

  private async read(id: string): Promise<{ raw: string | null; refs: string | null }> {
    const res = await this.redis.multi().get(recordKey(id)).hget(REFS_KEY, id).exec();
    if (!res) throw new Error('redis transaction aborted');
    for (const [err] of res) if (err) throw err;
    return { raw: res[0][1] as string | null, refs: res[1][1] as string | null };
  }

  private async write(id: string, expected: string, refs: string | null, next: Anomaly): Promise<number> {
    const old = parseRefs(refs);
    const { entries, names } = indexEntries(next);
    const keys = [
      recordKey(id),
      REFS_KEY,
      ...old.map((e) => e.key),
      ...entries.map((e) => e.key),
      ...names.map((n) => n.set),
    ];
    const args = [
      expected,
      JSON.stringify(next),
      Math.max(1, Math.ceil(this.maxAgeS)),
      id,
      formatRefs(entries),
      old.length,
      entries.length,
      names.length,
      ...old.map((e) => e.member),
      ...entries.map((e) => e.member),
      ...names.map((n) => n.name),
    ];
    return Number(await PUT.run(this.redis, keys, args));
  }

  private async removeMembers(members: string[]): Promise<number> {
    const ids = members.map(idOfMember);
    const n = await this.removeIds(ids);
    // An entry whose refs were lost (should not happen) would otherwise stall prune forever.
    const left = await this.redis.zmscore(globalIndex('time'), ...members);
    const stale = members.filter((_, i) => left[i] !== null);
    if (stale.length > 0) await this.redis.zrem(globalIndex('time'), ...stale);
    return n;
  }

  private async removeIds(ids: string[]): Promise<number> {
    let removed = 0;
    await Promise.all(
      ids.map(async (id) => {
        for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
          const refs = await this.redis.hget(REFS_KEY, id);
          const exists = refs !== null || (await this.redis.exists(recordKey(id))) === 1;
          const entries = parseRefs(refs);
          const r = await REMOVE.run(
            this.redis,
            [recordKey(id), REFS_KEY, ...entries.map((e) => e.key)],
            [refs ?? '', id, ...entries.map((e) => e.member)],
          );
          if (Number(r) === 1) {
            if (exists) removed++;
            return;
          }
          await backoff(attempt);
        }
      }),
    );
    return removed;
  }

  private async forgetEmptyNames(): Promise<void> {
    for (const dim of ['svc', 'ep', 'rc'] as const) {
      const names = await this.redis.smembers(NAME_SET[dim]);
      await Promise.all(
        names.map((n) => FORGET_NAME.run(this.redis, [NAME_SET[dim], dimIndex(dim, n, 'time')], [n])),
      );
    }
  }
}

/** Jittered wait after a lost compare-and-set, so a crowd of writers of one id does not retry in lockstep. */
function backoff(attempt: number): Promise<void> {
  if (attempt < 2) return Promise.resolve();
  return new Promise((res) => setTimeout(res, Math.random() * Math.min(50, 2 ** attempt)));
}
