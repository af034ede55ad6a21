import { ShiftEvidence, type ShiftEvidenceJson } from '../incidents/shift-evidence.js';
import { MINUTE_US } from '../incidents/signal.js';
import type { MinuteAnomaly } from '../incidents/tracker.js';
import { evidenceKey } from './incident-keys.js';
import type { RedisClient } from './redis-client.js';

export interface EvidenceStoreOptions {
  /** How long a minute's evidence is kept: an incident's window plus the reference hour before it. */
  ttlS?: number;
  /** Told about a stored field that cannot be read (it is skipped, the minute still loads). */
  warn?: (message: string) => void;
}

/** What the incident job reads of one minute: the shift evidence and the traces flagged in it. */
export interface MinuteEvidence {
  evidence: ShiftEvidence;
  anomalies: MinuteAnomaly[];
}

interface StoredField {
  e: ShiftEvidenceJson;
  a: MinuteAnomaly[];
  /** The merged field only: the batches it holds, so a batch written again after the merge counts once. */
  b?: string[];
}

/** A compacted minute keeps its batches merged under this field (batch names are hex digests). */
const MERGED = 'merged';

/**
 * Per-minute incident evidence: the ShiftEvidence that root-cause ranking stands on, and the minute's
 * flagged traces in the compact form the tracker takes (so judging a minute never reads whole anomaly
 * records). Each scoring batch writes its own share of a minute into its own hash field (named by the
 * batch), so a batch scored twice overwrites its field instead of counting twice; reading merges the fields.
 * Once a minute has been judged the incident job compacts it into one field (a busy minute's batch shares
 * repeat most of their keys: the shop at 50 traces/s writes about 1 MB a minute in 15 shares, 50 KB merged).
 */
export class EvidenceStore {
  private readonly ttlS: number;
  private readonly warn: (message: string) => void;

  constructor(
    private readonly redis: RedisClient,
    opts: EvidenceStoreOptions = {},
  ) {
    this.ttlS = opts.ttlS ?? 2 * 3600;
    this.warn = opts.warn ?? (() => {});
  }

  /** Stores one batch's share, per minute (µs, minute-aligned). */
  async put(batch: string, perMinute: ReadonlyMap<number, MinuteEvidence>): Promise<void> {
    if (perMinute.size === 0) return;
    const m = this.redis.multi();
    for (const [minute, { evidence, anomalies }] of perMinute) {
      const key = evidenceKey(minute);
      const field: StoredField = { e: evidence.toJSON(), a: anomalies };
      m.hset(key, batch, JSON.stringify(field));
      m.expire(key, this.ttlS);
    }
    const res = await m.exec();
    if (!res) throw new Error('redis transaction aborted');
    for (const [err] of res) if (err) throw err;
  }

  /** The minutes in [from, to] (µs, both minute-aligned, inclusive) that hold anything, merged per minute. */
  async range(from: number, to: number): Promise<Map<number, MinuteEvidence>> {
    const minutes: number[] = [];
    for (let m = from; m <= to; m += MINUTE_US) minutes.push(m);
    const out = new Map<number, MinuteEvidence>();
    if (minutes.length === 0) return out;
    const p = this.redis.pipeline();
    for (const m of minutes) p.hgetall(evidenceKey(m));
    const res = (await p.exec()) ?? [];
    res.forEach(([err, fields], i) => {
      if (err) throw err;
      const merged = this.mergeFields(evidenceKey(minutes[i]), (fields ?? {}) as Record<string, string>);
      if (merged) out.set(minutes[i], merged.minute);
    });
    return out;
  }

  /**
   * Merges a minute's batch shares into one field, remembering which batches it holds. Shares written
   * meanwhile are left for the next compaction; a batch written again later is still counted once.
   */
  async compact(minute: number): Promise<void> {
    const key = evidenceKey(minute);
    const fields = await this.redis.hgetall(key);
    const names = Object.keys(fields).filter((f) => f !== MERGED);
    if (names.length === 0) return;
    const merged = this.mergeFields(key, fields);
    if (!merged) return;
    const stored: StoredField = {
      e: merged.minute.evidence.toJSON(),
      a: merged.minute.anomalies,
      b: merged.batches,
    };
    const res = await this.redis
      .multi()
      .hset(key, MERGED, JSON.stringify(stored))
      .hdel(key, ...names)
      .exec();
    if (!res) throw new Error('redis transaction aborted');
    for (const [err] of res) if (err) throw err;
  }

  /** The merged field first, then every share it does not hold already; unreadable ones are skipped. */
  private mergeFields(
    key: string,
    fields: Record<string, string>,
  ): { minute: MinuteEvidence; batches: string[] } | undefined {
    const names = Object.keys(fields);
    if (names.length === 0) return undefined;
    const minute: MinuteEvidence = { evidence: new ShiftEvidence(), anomalies: [] };
    const held = new Set<string>();
    const add = (name: string, withBatches: boolean) => {
      try {
        const f = JSON.parse(fields[name]) as StoredField;
        if (!Array.isArray(f?.a)) throw new Error('no list of flagged traces');
        const ev = ShiftEvidence.fromJSON(f.e);
        minute.evidence.merge(ev);
        minute.anomalies.push(...f.a);
        if (withBatches) for (const b of f.b ?? []) held.add(b);
        else held.add(name);
      } catch (e) {
        this.warn(`${key}, field ${name}: skipped, ${(e as Error).message}`);
      }
    };
    if (fields[MERGED] !== undefined) add(MERGED, true);
    for (const name of names) if (name !== MERGED && !held.has(name)) add(name, false);
    return { minute, batches: [...held] };
  }
}
