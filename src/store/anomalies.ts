import type { RedisClient } from './redis-client.js';
import { StoredAnomalySchema, anomalyView, type Anomaly, type StoredAnomaly } from './anomaly-record.js';
import {
  FALSE_POSITIVE_KEY,
  NAME_SET,
  REFS_KEY,
  checkId,
  dimIndex,
  endpointName,
  formatRefs,
  globalIndex,
  indexEntries,
  parseEndpointName,
  parseRefs,
  recordKey,
  similarity,
  type Dimension,
} from './anomaly-keys.js';
import { FORGET_NAME, PUT, RAISE_MAX, REMOVE } from './anomaly-scripts.js';
import { planQuery, type AnomalyQuery } from './anomaly-query.js';
import { encodeCursor, encodeTime, idOfMember } from './sort-key.js';
import { surpriseOf } from '../scoring/rank.js';

export { CursorError } from './sort-key.js';

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

export interface AnomalyStoreOptions {
  /** Record TTL, a backstop for when prune never runs (default 30 days). */
  maxAgeS?: number;
  /** Index entries examined per list call before it returns a partial page with a cursor (default 5000). */
  maxScan?: number;
  /** A clock for tests. */
  now?: () => number;
}

export type { AnomalyQuery } from './anomaly-query.js';
const CAS_RETRIES = 50;
const BATCH = 500;

/**
 * Anomalies in Redis: one JSON string per record and lexicographic sorted-set indexes by rank (rank.ts) and by
 * trace start time, globally and per service, endpoint and root-cause service. Writes are compare-and-set Lua
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
  async put(input: StoredAnomaly): Promise<{ created: boolean; record: Anomaly }> {
    const a = StoredAnomalySchema.parse(input);
    checkId(a.id);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const { raw, refs, falseSurprise } = await this.read(a.id, similarity(a));
      const old = raw ? (JSON.parse(raw) as StoredAnomaly) : undefined;
      const next: StoredAnomaly = old
        ? { ...a, detectedAt: old.detectedAt, feedback: a.feedback ?? old.feedback }
        : a;
      const r = await this.write(a.id, raw ?? '', refs, next, falseSurprise);
      if (r !== 0) return { created: r === 1, record: anomalyView(next) };
      await backoff(attempt);
    }
    throw new Error(`anomaly ${a.id}: too many concurrent writers, gave up after ${CAS_RETRIES} attempts`);
  }

  /** One anomaly; `causes: 'all'` lists every candidate cause in rootCauses, not only the top ones. */
  async get(id: string, causes: 'top' | 'all' = 'top'): Promise<Anomaly | undefined> {
    const raw = await this.redis.get(recordKey(id));
    return raw ? anomalyView(JSON.parse(raw) as StoredAnomaly, causes) : undefined;
  }

  /**
   * Records an engineer's verdict; undefined when the anomaly is unknown (or already pruned). A false positive
   * sinks below every unmarked anomaly, and teaches the store that its kind (same endpoint, same first cause:
   * see similarity) reaches its surprise in normal traffic: anomalies of that kind, stored and to come, rank
   * by the surprise they have beyond it. A true positive keeps its own full rank.
   */
  async feedback(id: string, fb: Feedback): Promise<Anomaly | undefined> {
    checkId(id);
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const { raw, refs } = await this.read(id);
      if (!raw) return undefined;
      const rec = JSON.parse(raw) as StoredAnomaly;
      const next: StoredAnomaly = {
        ...rec,
        feedback: {
          verdict: fb.verdict,
          ...(fb.note ? { note: fb.note } : {}),
          at: new Date(this.now()).toISOString(),
        },
      };
      if ((await this.write(id, raw, refs, next, 0)) !== 0) {
        if (fb.verdict === 'false-positive') await this.demoteSimilar(next);
        return anomalyView(next);
      }
      await backoff(attempt);
    }
    throw new Error(`anomaly ${id}: too many concurrent writers, gave up after ${CAS_RETRIES} attempts`);
  }

  /** Raises the kind's false-positive surprise and re-indexes its stored anomalies (up to maxScan of the endpoint). */
  private async demoteSimilar(marked: Anomaly): Promise<void> {
    const sig = similarity(marked);
    await RAISE_MAX.run(this.redis, [FALSE_POSITIVE_KEY], [sig, String(surpriseOf(marked))]);
    const key = dimIndex('ep', endpointName(marked.service, marked.operation), 'score');
    // Ascending, and a re-index only lowers a member: what moves stays inside the part already read.
    for (let start = 0; start < this.maxScan; start += BATCH) {
      const members = await this.redis.zrange(key, start, start + BATCH - 1);
      if (members.length === 0) break;
      const ids = members.map(idOfMember).filter((i) => i !== marked.id);
      const raws = ids.length ? await this.redis.mget(ids.map(recordKey)) : [];
      for (let i = 0; i < ids.length; i++) {
        const raw = raws[i];
        if (raw && similarity(JSON.parse(raw) as Anomaly) === sig) await this.reindex(ids[i]);
      }
      if (members.length < BATCH) break;
    }
  }

  /** Rewrites a record's index entries with the current false-positive surprise of its kind; keeps its TTL. */
  private async reindex(id: string): Promise<boolean> {
    for (let attempt = 0; attempt < CAS_RETRIES; attempt++) {
      const seen = await this.redis.get(recordKey(id));
      if (!seen) return false;
      // The kind comes from the record, so the record is read again with it, in one transaction.
      const { raw, refs, falseSurprise } = await this.read(id, similarity(JSON.parse(seen) as Anomaly));
      if (!raw) return false;
      if (
        raw === seen &&
        (await this.write(id, raw, refs, JSON.parse(raw) as StoredAnomaly, falseSurprise, true)) !== 0
      )
        return true;
      await backoff(attempt);
    }
    throw new Error(`anomaly ${id}: too many concurrent writers, gave up after ${CAS_RETRIES} attempts`);
  }

  async list(q: AnomalyQuery = {}): Promise<AnomalyPage> {
    const plan = planQuery(q);
    if (plan === undefined) return { items: [] };
    const { order, limit, key, keep } = plan;
    let { max } = plan;
    const { min } = plan;
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
          const a = anomalyView(JSON.parse(raw) as StoredAnomaly);
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

  /**
   * Moves records indexed before ranking (their refs name a `by-score` index, which held the bare score) into
   * the by-rank indexes; the old indexes empty as their members go. Run with prune: once done, it only scans.
   */
  async migrateLegacyIndex(): Promise<number> {
    let cursor = '0';
    let moved = 0;
    do {
      const [next, flat] = await this.redis.hscan(REFS_KEY, cursor, 'COUNT', BATCH);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2)
        if (flat[i + 1].includes(':by-score\t') && (await this.reindex(flat[i]))) moved++;
    } while (cursor !== '0');
    return moved;
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

  private async read(
    id: string,
    kind?: string,
  ): Promise<{ raw: string | null; refs: string | null; falseSurprise: number }> {
    const tx = this.redis.multi().get(recordKey(id)).hget(REFS_KEY, id);
    if (kind !== undefined) tx.hget(FALSE_POSITIVE_KEY, kind);
    const res = await tx.exec();
    if (!res) throw new Error('redis transaction aborted');
    for (const [err] of res) if (err) throw err;
    const fp = kind === undefined ? null : (res[2][1] as string | null);
    return {
      raw: res[0][1] as string | null,
      refs: res[1][1] as string | null,
      falseSurprise: fp === null ? 0 : Number(fp),
    };
  }

  private async write(
    id: string,
    expected: string,
    refs: string | null,
    next: StoredAnomaly,
    falseSurprise: number,
    keepTtl = false,
  ): Promise<number> {
    const old = parseRefs(refs);
    const { entries, names } = indexEntries(next, falseSurprise);
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
      keepTtl ? 0 : Math.max(1, Math.ceil(this.maxAgeS)),
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
