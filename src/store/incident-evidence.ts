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
}

/**
 * Per-minute incident evidence: the ShiftEvidence that root-cause ranking stands on, and the minute's
 * flagged traces in the compact form the tracker takes (so judging a minute never reads whole anomaly
 * records). Each scoring batch writes its own share of a minute into its own hash field (named by the
 * batch), so a batch scored twice overwrites its field instead of counting twice; reading merges the fields.
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
      const entries = Object.entries((fields ?? {}) as Record<string, string>);
      if (entries.length === 0) return;
      const merged: MinuteEvidence = { evidence: new ShiftEvidence(), anomalies: [] };
      for (const [batch, raw] of entries) {
        try {
          const f = JSON.parse(raw) as StoredField;
          if (!Array.isArray(f?.a)) throw new Error('no list of flagged traces');
          const ev = ShiftEvidence.fromJSON(f.e);
          merged.evidence.merge(ev);
          merged.anomalies.push(...f.a);
        } catch (e) {
          this.warn(`${evidenceKey(minutes[i])}, field ${batch}: skipped, ${(e as Error).message}`);
        }
      }
      out.set(minutes[i], merged);
    });
    return out;
  }
}
