import type { ModelsApi } from '../api/routes/models.js';
import type { ModelInfo } from '../api/schemas.js';
import type { WebhooksApi } from '../api/routes/webhooks.js';
import type { ModelRegistry, ModelVersion } from '../registry/redis-registry.js';
import type { ModelSetManifest } from '../scoring/model-set.js';
import type { TraceReservoir } from '../store/reservoir.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';
import type { WebhookStore } from '../webhooks/store.js';
import type { JobSystem } from '../jobs/job-system.js';

/** Where the training traffic waits, and how much of it a first model needs. */
export interface TrainingPool {
  reservoir: Pick<TraceReservoir, 'endpoints' | 'size' | 'seen'>;
  minTraces: number;
}

/**
 * The API's view of the model registry and the training queue. With `pool`, endpoints whose traffic is kept
 * for training but that have no version yet are listed too (status none), so that "why no model" has an answer.
 */
export function modelsApi(
  registry: ModelRegistry,
  jobs: Pick<JobSystem, 'retrain'>,
  pool?: TrainingPool,
): ModelsApi {
  return {
    async list() {
      const withVersions = await registry.endpoints();
      const all = new Set([...withVersions, ...((await pool?.reservoir.endpoints()) ?? [])]);
      const out: ModelInfo[] = [];
      for (const endpoint of [...all].sort())
        out.push(modelInfo(endpoint, await registry.versions(endpoint), await reservoirOf(pool, endpoint)));
      return out;
    },
    async retrain({ endpoints }) {
      return { jobId: await jobs.retrain(endpoints), endpoints };
    },
    async activate(endpoint, version) {
      try {
        await registry.activate(endpoint, version);
        return true;
      } catch {
        return false;
      }
    },
  };
}

async function reservoirOf(pool: TrainingPool | undefined, endpoint: string) {
  if (!pool) return undefined;
  const [kept, seen] = await Promise.all([pool.reservoir.size(endpoint), pool.reservoir.seen(endpoint)]);
  return { kept, seen, needed: pool.minTraces };
}

function modelInfo(
  endpoint: string,
  versions: ModelVersion[],
  reservoir?: ModelInfo['reservoir'],
): ModelInfo {
  const active = versions.find((v) => v.active);
  const latest = versions[versions.length - 1];
  const status = active ? 'active' : latest ? 'inactive' : 'none';
  let reason: string | undefined;
  if (status === 'inactive')
    reason = `no version is active; the latest, v${latest.version}: ${latest.note ?? 'no note'}`;
  else if (status === 'none' && reservoir)
    reason =
      reservoir.kept < reservoir.needed
        ? `${reservoir.kept} traces kept for training, ${reservoir.needed} needed`
        : `${reservoir.kept} traces kept, enough to train: the first model comes with the next training`;
  return {
    endpoint,
    ...(active ? { activeVersion: active.version } : {}),
    status,
    ...(reason ? { reason } : {}),
    ...(reservoir ? { reservoir } : {}),
    versions: versions.map((v) => ({
      version: v.version,
      createdAt: v.createdAt,
      active: v.active,
      traces: v.manifest.counts.traces,
      threshold: v.manifest.threshold,
      note: v.note,
      heldOut: heldOutOf(v.manifest),
    })),
  };
}

/** The held-out figures a retrain kept in the manifest's metrics (see runTrainTask). */
function heldOutOf(m: ModelSetManifest): ModelInfo['versions'][number]['heldOut'] {
  const { heldOutTraces, heldOutFlagRate, activeHeldOutFlagRate, heldOutNoise } = m.metrics;
  if (heldOutTraces === undefined || heldOutFlagRate === undefined) return undefined;
  return {
    traces: heldOutTraces,
    flagRate: heldOutFlagRate,
    targetFpr: m.targetFpr,
    ...(activeHeldOutFlagRate !== undefined ? { activeFlagRate: activeHeldOutFlagRate } : {}),
    ...(heldOutNoise !== undefined ? { noise: heldOutNoise } : {}),
  };
}

/** The API's view of webhooks: the store for CRUD, the dispatcher for tests and the delivery log. */
export function webhooksApi(store: WebhookStore, dispatcher: WebhookDispatcher): WebhooksApi {
  return {
    list: () => store.list(),
    create: (input) => store.create(input),
    delete: (id) => store.delete(id),
    async test(id) {
      if (!(await store.get(id))) return undefined;
      const r = await dispatcher.sendTest(id);
      return {
        at: new Date().toISOString(),
        event: 'webhook.test',
        status: r.ok ? 'delivered' : 'failed',
        httpStatus: r.status,
        durationMs: r.ms,
        error: r.error,
      };
    },
    async deliveries(id, limit) {
      if (!(await store.get(id))) return undefined;
      const log = await dispatcher.deliveryLog(id, limit);
      return log.map((e) => ({
        ...e,
        status: e.outcome,
        httpStatus: e.status,
        attempts: e.attempt,
        durationMs: e.ms,
      }));
    },
  };
}
