import type { ModelsApi } from '../api/routes/models.js';
import type { WebhooksApi } from '../api/routes/webhooks.js';
import type { ModelRegistry } from '../registry/redis-registry.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';
import type { WebhookStore } from '../webhooks/store.js';
import type { JobSystem } from '../jobs/job-system.js';

/** The API's view of the model registry and the training queue. */
export function modelsApi(registry: ModelRegistry, jobs: JobSystem): ModelsApi {
  return {
    async list() {
      const out = [];
      for (const endpoint of await registry.endpoints()) {
        const versions = await registry.versions(endpoint);
        const active = versions.find((v) => v.active);
        out.push({
          endpoint,
          activeVersion: active?.version,
          status: active ? ('active' as const) : ('inactive' as const),
          versions: versions.map((v) => ({
            version: v.version,
            createdAt: v.createdAt,
            active: v.active,
            traces: v.manifest.counts.traces,
            threshold: v.manifest.threshold,
            note: v.note,
          })),
        });
      }
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
