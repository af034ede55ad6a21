import type { FastifyPluginAsync } from 'fastify';
import type { AnomalyStore } from '../../store/anomalies.js';
import { ErrorSchema } from '../errors.js';
import { EndpointInfoSchema, ItemsOf, ServiceInfoSchema, type ModelInfo } from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';
import type { z } from 'zod';

export interface CatalogOptions {
  anomalies: Pick<AnomalyStore, 'stats' | 'traffic'>;
  /** Model status per endpoint, when a registry is wired. */
  models?: { list(): Promise<ModelInfo[]> };
}

type EndpointInfo = z.infer<typeof EndpointInfoSchema>;

/** Services and endpoints as seen in stored anomalies, scored traffic and trained models. */
export const catalogRoutes: FastifyPluginAsync<CatalogOptions> = async (app, { anomalies, models }) => {
  async function endpoints(): Promise<EndpointInfo[]> {
    const [stats, traffic, modelList] = await Promise.all([
      anomalies.stats(),
      anomalies.traffic(),
      models ? models.list() : Promise.resolve([] as ModelInfo[]),
    ]);
    const out = new Map<string, EndpointInfo>();
    const at = (service: string, operation: string) => {
      const endpoint = `${service}:${operation}`;
      let e = out.get(endpoint);
      if (!e)
        out.set(endpoint, (e = { endpoint, service, operation, anomalies: 0, scored: 0, anomalous: 0 }));
      return e;
    };
    for (const s of stats.endpoints) at(s.service, s.operation).anomalies = s.count;
    for (const t of traffic) {
      const e = at(t.service, t.operation);
      e.scored = t.scored;
      e.anomalous = t.anomalous;
      if (t.scored > 0) e.anomalyRate = t.anomalous / t.scored;
    }
    for (const m of modelList) {
      const i = m.endpoint.indexOf(':');
      if (i < 0) continue; // a shared model set, not one endpoint's
      at(m.endpoint.slice(0, i), m.endpoint.slice(i + 1)).model = {
        status: m.status,
        ...(m.activeVersion !== undefined ? { activeVersion: m.activeVersion } : {}),
      };
    }
    return [...out.values()].sort(
      (a, b) => b.anomalies - a.anomalies || a.endpoint.localeCompare(b.endpoint),
    );
  }

  defineRoute(app, {
    method: 'GET',
    url: '/v1/endpoints',
    summary: 'Endpoints (root service:operation) with anomaly counts, rates and model status',
    tag: 'catalog',
    access: 'read',
    responses: { 200: ItemsOf(EndpointInfoSchema), 401: ErrorSchema },
    handler: async () => ({ items: await endpoints() }),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/services',
    summary: 'Services with anomaly counts, as a root and as a root cause',
    tag: 'catalog',
    access: 'read',
    responses: { 200: ItemsOf(ServiceInfoSchema), 401: ErrorSchema },
    handler: async () => {
      const [stats, eps] = await Promise.all([anomalies.stats(), endpoints()]);
      const out = new Map<string, z.infer<typeof ServiceInfoSchema>>();
      const at = (service: string) => {
        let s = out.get(service);
        if (!s) out.set(service, (s = { service, anomalies: 0, rootCauseOf: 0, endpoints: 0 }));
        return s;
      };
      for (const s of stats.services) at(s.service).anomalies = s.count;
      for (const s of stats.rootCauseServices) at(s.service).rootCauseOf = s.count;
      for (const e of eps) at(e.service).endpoints++;
      return {
        items: [...out.values()].sort(
          (a, b) => b.anomalies - a.anomalies || a.service.localeCompare(b.service),
        ),
      };
    },
  });
};
