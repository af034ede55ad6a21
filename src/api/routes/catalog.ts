import type { FastifyPluginAsync } from 'fastify';
import type { AggregateStore } from '../../store/aggregates.js';
import type { AnomalyStore } from '../../store/anomalies.js';
import { ErrorSchema } from '../errors.js';
import {
  EndpointInfoSchema,
  ItemsOf,
  ServiceInfoSchema,
  type EndpointInfo,
  type ModelInfo,
} from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';
import type { z } from 'zod';
import { endpointKey, parseEndpointKey } from '../../trace/endpoint-key.js';

export interface CatalogOptions {
  anomalies: Pick<AnomalyStore, 'stats'>;
  /** Scored traffic per endpoint (rates need it; without it they are left out). */
  traffic?: Pick<AggregateStore, 'traffic'>;
  /** Model status per endpoint, when a registry is wired. */
  models?: { list(): Promise<ModelInfo[]> };
}

/** Services and endpoints as seen in stored anomalies, scored traffic and trained models. */
export const catalogRoutes: FastifyPluginAsync<CatalogOptions> = async (
  app,
  { anomalies, traffic, models },
) => {
  async function endpoints(): Promise<EndpointInfo[]> {
    const [stats, counts, modelList] = await Promise.all([
      anomalies.stats(),
      traffic ? traffic.traffic() : Promise.resolve([]),
      models ? models.list() : Promise.resolve([] as ModelInfo[]),
    ]);
    const out = new Map<string, EndpointInfo>();
    const at = (service: string, operation: string) => {
      const endpoint = endpointKey(service, operation);
      let e = out.get(endpoint);
      if (!e)
        out.set(endpoint, (e = { endpoint, service, operation, anomalies: 0, scored: 0, anomalous: 0 }));
      return e;
    };
    for (const s of stats.endpoints) at(s.service, s.operation).anomalies = s.count;
    for (const t of counts) {
      const e = at(t.service, t.operation);
      e.scored = t.scored;
      e.anomalous = t.anomalous;
      if (t.scored > 0) e.anomalyRate = t.anomalous / t.scored;
    }
    for (const m of modelList) {
      const ep = parseEndpointKey(m.endpoint);
      if (ep === undefined) continue; // a shared model set, not one endpoint's
      at(ep.service, ep.operation).model = {
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
    url: '/endpoints',
    summary: 'Endpoints (root service:operation) with anomaly counts, rates and model status',
    tag: 'catalog',
    access: 'read',
    responses: { 200: ItemsOf(EndpointInfoSchema), 401: ErrorSchema },
    handler: async () => ({ items: await endpoints() }),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/services',
    summary:
      'Services with anomaly counts, as a root and as a root cause, and their endpoints by model status',
    tag: 'catalog',
    access: 'read',
    responses: { 200: ItemsOf(ServiceInfoSchema), 401: ErrorSchema },
    handler: async () => {
      const [stats, eps] = await Promise.all([anomalies.stats(), endpoints()]);
      const out = new Map<string, z.infer<typeof ServiceInfoSchema>>();
      const at = (service: string) => {
        let s = out.get(service);
        if (!s)
          out.set(
            service,
            (s = {
              service,
              anomalies: 0,
              rootCauseOf: 0,
              endpoints: 0,
              models: { active: 0, training: 0, inactive: 0, none: 0 },
            }),
          );
        return s;
      };
      for (const s of stats.services) at(s.service).anomalies = s.count;
      for (const s of stats.rootCauseServices) at(s.service).rootCauseOf = s.count;
      for (const e of eps) {
        const s = at(e.service);
        s.endpoints++;
        s.models[e.model?.status ?? 'none']++;
      }
      return {
        items: [...out.values()].sort(
          (a, b) => b.anomalies - a.anomalies || a.service.localeCompare(b.service),
        ),
      };
    },
  });
};
