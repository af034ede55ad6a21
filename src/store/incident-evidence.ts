import { ShiftEvidence, type ShiftEvidenceJson } from '../incidents/shift-evidence.js';
import { MINUTE_US } from '../incidents/signal.js';
import { evidenceKey } from './incident-keys.js';
import type { RedisClient } from './redis-client.js';

export interface EvidenceStoreOptions {
  /** How long a minute's evidence is kept: an incident's window plus the reference hour before it. */
  ttlS?: number;
  /** Told about a stored field that cannot be read (it is skipped, the minute still loads). */
  warn?: (message: string) => void;
}

/**
 * Per-minute ShiftEvidence for incident root-cause ranking. Each scoring batch writes its own share of a
 * minute into its own hash field (named by the batch), so a batch scored twice overwrites its field
 * instead of counting twice; reading a minute merges its fields.
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

  /** Stores one batch's evidence, per minute (µs, minute-aligned). */
  async put(batch: string, perMinute: ReadonlyMap<number, ShiftEvidence>): Promise<void> {
    if (perMinute.size === 0) return;
    const m = this.redis.multi();
    for (const [minute, ev] of perMinute) {
      const key = evidenceKey(minute);
      m.hset(key, batch, JSON.stringify(ev.toJSON()));
      m.expire(key, this.ttlS);
    }
    const res = await m.exec();
    if (!res) throw new Error('redis transaction aborted');
    for (const [err] of res) if (err) throw err;
  }

  /** The minutes in [from, to] (µs, both minute-aligned, inclusive) that hold evidence, merged per minute. */
  async range(from: number, to: number): Promise<Map<number, ShiftEvidence>> {
    const minutes: number[] = [];
    for (let m = from; m <= to; m += MINUTE_US) minutes.push(m);
    const out = new Map<number, ShiftEvidence>();
    if (minutes.length === 0) return out;
    const p = this.redis.pipeline();
    for (const m of minutes) p.hgetall(evidenceKey(m));
    const res = (await p.exec()) ?? [];
    res.forEach(([err, fields], i) => {
      if (err) throw err;
      const entries = Object.entries((fields ?? {}) as Record<string, string>);
      if (entries.length === 0) return;
      const merged = new ShiftEvidence();
      for (const [batch, raw] of entries) {
        try {
          merged.merge(ShiftEvidence.fromJSON(JSON.parse(raw) as ShiftEvidenceJson));
        } catch (e) {
          this.warn(`${evidenceKey(minutes[i])}, field ${batch}: skipped, ${(e as Error).message}`);
        }
      }
      out.set(minutes[i], merged);
    });
    return out;
  }
}
