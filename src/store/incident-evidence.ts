import { createHash } from 'node:crypto';
import type { MinuteEvidence } from '../incidents/incident-engine.js';
import { ShiftEvidence } from '../incidents/shift-evidence.js';
import type { ShiftEvidenceJson } from '../incidents/shift-records.js';
import { MINUTE_US } from '../traffic/minute.js';
import type { MinuteAnomaly } from '../incidents/tracker.js';
import { claimLua, writeOnce } from './count-once.js';
import { evidenceKey, evidenceCountedKey } from './incident-keys.js';
import { LuaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';

export interface EvidenceStoreOptions {
  /** How long a minute's evidence is kept: an incident's window plus the reference hour before it. */
  ttlS?: number;
  /** Told about a stored field that cannot be read (it is skipped, the minute still loads). */
  warn?: (message: string) => void;
}

interface StoredField {
  e: ShiftEvidenceJson;
  a: MinuteAnomaly[];
}

/** What the store needs of each trace a share is built from. */
export interface EvidenceItem {
  traceId: string;
  /** The minute the trace starts in, µs. */
  minute: number;
}

/**
 * Writes one share of a minute for traces no earlier share counted (see count-once.ts).
 * KEYS: the minute's hash, its counted ids. ARGV: seconds to live, id count, ids, field name, field JSON.
 */
const PUT = new LuaScript(`
${claimLua(2, 1, 2)}
redis.call('HSET', KEYS[1], ARGV[at], ARGV[at + 1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return {}
`);

/** A share's field name: the hash of its trace ids. */
function shareName(items: readonly EvidenceItem[]): string {
  const h = createHash('sha1');
  for (const id of items.map((it) => it.traceId).sort()) h.update(id);
  return h.digest('hex');
}

/** A compacted minute keeps its batches merged under this field (batch names are hex digests). */
const MERGED = 'merged';

/**
 * Per-minute incident evidence: the ShiftEvidence that root-cause ranking stands on, and the minute's
 * flagged traces in the compact form the tracker takes (so judging a minute never reads whole anomaly
 * records). Each scoring batch writes its own share of a minute into its own hash field, for the traces no
 * earlier share counted (a trace scored again, alone or in another batch, counts once); reading merges them.
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

  /**
   * Stores one batch's shares: per minute, `build` makes the share of the items it is given, which are the
   * batch's traces of that minute that no earlier share counted (it may be called again with fewer).
   */
  async put<T extends EvidenceItem>(
    items: readonly T[],
    build: (minute: number, items: readonly T[]) => MinuteEvidence,
  ): Promise<void> {
    await writeOnce(
      items,
      (it) => it.traceId,
      (it) => it.minute,
      async (minute, group) => {
        const { evidence, anomalies } = build(minute, group);
        const field: StoredField = { e: evidence.toJSON(), a: anomalies };
        const args = [this.ttlS, group.length, ...group.map((it) => it.traceId)];
        args.push(shareName(group), JSON.stringify(field));
        const keys = [evidenceKey(minute), evidenceCountedKey(minute)];
        return (await PUT.run(this.redis, keys, args)) as string[];
      },
    );
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
      if (merged) out.set(minutes[i], merged);
    });
    return out;
  }

  /**
   * Merges a minute's batch shares into one field. Shares written meanwhile are left for the next compaction.
   */
  async compact(minute: number): Promise<void> {
    const key = evidenceKey(minute);
    const fields = await this.redis.hgetall(key);
    const names = Object.keys(fields).filter((f) => f !== MERGED);
    if (names.length === 0) return;
    const merged = this.mergeFields(key, fields);
    if (!merged) return;
    const stored: StoredField = { e: merged.evidence.toJSON(), a: merged.anomalies };
    const res = await this.redis
      .multi()
      .hset(key, MERGED, JSON.stringify(stored))
      .hdel(key, ...names)
      .exec();
    if (!res) throw new Error('redis transaction aborted');
    for (const [err] of res) if (err) throw err;
  }

  /** Every field of a minute merged; unreadable ones are skipped. */
  private mergeFields(key: string, fields: Record<string, string>): MinuteEvidence | undefined {
    const names = Object.keys(fields);
    if (names.length === 0) return undefined;
    const minute: MinuteEvidence = { evidence: new ShiftEvidence(), anomalies: [] };
    for (const name of names) {
      try {
        const f = JSON.parse(fields[name]) as StoredField;
        if (!Array.isArray(f?.a)) throw new Error('no list of flagged traces');
        minute.evidence.merge(ShiftEvidence.fromJSON(f.e));
        minute.anomalies.push(...f.a);
      } catch (e) {
        this.warn(`${key}, field ${name}: skipped, ${(e as Error).message}`);
      }
    }
    return minute;
  }
}
