import { hashTag, type RedisClient } from '../store/redis-client.js';
import { BaselineModel } from '../detectors/baseline/model.js';
import type { ModelSet, ModelSetManifest } from '../scoring/model-set.js';
import { artifactsToFiles, modelSetFromFiles, type ModelFiles } from './model-files.js';

export interface ModelVersion {
  endpoint: string;
  version: number;
  createdAt: string;
  active: boolean;
  manifest: ModelSetManifest;
  /** Why it was (not) promoted, when a retrain decided. */
  note?: string;
}

/** An endpoint's keys share its hash tag, so a publish's MULTI stays in one Redis Cluster slot; the list of
 *  endpoints is a key of its own, written outside that MULTI. */
const k = {
  endpoints: 'th:reg:endpoints',
  versions: (ep: string) => `th:reg:${hashTag(ep)}:versions`,
  meta: (ep: string, v: number) => `th:reg:${hashTag(ep)}:v${v}:meta`,
  files: (ep: string, v: number) => `th:reg:${hashTag(ep)}:v${v}:files`,
  active: (ep: string) => `th:reg:${hashTag(ep)}:active`,
  counter: (ep: string) => `th:reg:${hashTag(ep)}:next`,
};

/** Channel on which activations are announced, so every worker reloads without a restart. */
export const REGISTRY_CHANNEL = 'th:reg:changed';

/**
 * Model sets per endpoint, versioned, in Redis (every worker on every machine loads the same bytes).
 * A version is published inactive; activation is one SET and a publish; rollback is activating an older
 * kept version. Older versions beyond `keep` are deleted, never the active one.
 */
export class ModelRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly keep = 5,
  ) {}

  async publish(endpoint: string, set: ModelSet, note?: string): Promise<number> {
    return this.publishFiles(endpoint, artifactsToFiles(await set.toArtifacts()), set.manifest, note);
  }

  /** Publishes a model set already laid out as files (what a training thread hands back). */
  async publishFiles(
    endpoint: string,
    files: ModelFiles,
    manifest: ModelSetManifest,
    note?: string,
  ): Promise<number> {
    const version = await this.redis.incr(k.counter(endpoint));
    const meta = { endpoint, version, createdAt: new Date().toISOString(), manifest, note };
    const tx = this.redis.multi();
    tx.hset(k.files(endpoint, version), Object.fromEntries(files));
    tx.set(k.meta(endpoint, version), JSON.stringify(meta));
    tx.zadd(k.versions(endpoint), version, String(version));
    await tx.exec();
    await this.redis.sadd(k.endpoints, endpoint);
    await this.prune(endpoint);
    return version;
  }

  async activate(endpoint: string, version: number): Promise<void> {
    if (!(await this.redis.exists(k.meta(endpoint, version))))
      throw new Error(`endpoint ${endpoint} has no model version ${version}`);
    await this.redis.set(k.active(endpoint), String(version));
    await this.redis.publish(REGISTRY_CHANNEL, JSON.stringify({ endpoint, version }));
  }

  async activeVersion(endpoint: string): Promise<number | undefined> {
    const v = await this.redis.get(k.active(endpoint));
    return v === null ? undefined : Number(v);
  }

  async endpoints(): Promise<string[]> {
    return (await this.redis.smembers(k.endpoints)).sort();
  }

  async versions(endpoint: string): Promise<ModelVersion[]> {
    const ids = (await this.redis.zrange(k.versions(endpoint), 0, -1)).map(Number);
    const active = await this.activeVersion(endpoint);
    const metas = ids.length ? await this.redis.mget(ids.map((v) => k.meta(endpoint, v))) : [];
    return metas
      .filter((m): m is string => m !== null)
      .map((m) => {
        const meta = JSON.parse(m) as Omit<ModelVersion, 'active'>;
        return { ...meta, active: meta.version === active };
      });
  }

  async load(endpoint: string, version: number): Promise<ModelSet> {
    const key = k.files(endpoint, version);
    return modelSetFromFiles(
      async (path) => (await this.redis.hgetBuffer(key, path)) ?? undefined,
      `model ${endpoint} v${version}`,
    );
  }

  /**
   * A version's robust baseline alone, without building its forests and autoencoders: what readers of its
   * learned latencies (sampling advice) need.
   */
  async baseline(endpoint: string, version: number): Promise<BaselineModel> {
    const where = `model ${endpoint} v${version}, baseline.json`;
    const raw = await this.redis.hget(k.files(endpoint, version), 'baseline.json');
    if (raw === null) throw new Error(`${where}: missing`);
    try {
      return BaselineModel.fromJSON(JSON.parse(raw));
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }

  /** Every file of a version, for exporting to a models/ directory. */
  async files(endpoint: string, version: number): Promise<Map<string, Buffer>> {
    const h = await this.redis.hgetallBuffer(k.files(endpoint, version));
    return new Map(Object.entries(h));
  }

  private async prune(endpoint: string): Promise<void> {
    const ids = (await this.redis.zrange(k.versions(endpoint), 0, -1)).map(Number);
    const active = await this.activeVersion(endpoint);
    const excess = ids.filter((v) => v !== active).slice(0, Math.max(0, ids.length - this.keep));
    for (const v of excess) {
      await this.redis
        .multi()
        .del(k.files(endpoint, v), k.meta(endpoint, v))
        .zrem(k.versions(endpoint), String(v))
        .exec();
    }
  }
}

/**
 * What a worker holds: the active model set of each endpoint, reloaded when the registry's active version
 * changes (checked at most every `recheckMs`, and at once on an activation message).
 */
export class ModelCache {
  private cache = new Map<string, { version: number; set: ModelSet; checkedAt: number }>();
  private loading = new Map<string, Promise<ModelSet | undefined>>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly recheckMs = 5000,
  ) {}

  invalidate(endpoint?: string): void {
    if (endpoint === undefined) this.cache.clear();
    else this.cache.delete(endpoint);
  }

  async get(endpoint: string, now = Date.now()): Promise<ModelSet | undefined> {
    const hit = this.cache.get(endpoint);
    if (hit && now - hit.checkedAt < this.recheckMs) return hit.set;
    // Score jobs run side by side: one load per endpoint at a time, or the loser's copy would never be disposed.
    let loading = this.loading.get(endpoint);
    if (!loading) {
      loading = this.refresh(endpoint, now).finally(() => this.loading.delete(endpoint));
      this.loading.set(endpoint, loading);
    }
    return loading;
  }

  private async refresh(endpoint: string, now: number): Promise<ModelSet | undefined> {
    const hit = this.cache.get(endpoint);
    const version = await this.registry.activeVersion(endpoint);
    if (version === undefined) return undefined;
    if (hit && hit.version === version) {
      hit.checkedAt = now;
      return hit.set;
    }
    const set = await this.registry.load(endpoint, version);
    hit?.set.dispose();
    this.cache.set(endpoint, { version, set, checkedAt: now });
    return set;
  }

  get loaded(): number {
    return this.cache.size;
  }
}
