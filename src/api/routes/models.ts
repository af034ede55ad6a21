import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { ErrorSchema, notFound } from '../errors.js';
import {
  ActivateBody,
  EndpointParams,
  ItemsOf,
  ModelInfoSchema,
  RetrainBody,
  RetrainResponse,
  type ModelInfo,
} from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';

/** What the model routes need: the registry's view and a way to queue training. */
export interface ModelsApi {
  list(): Promise<ModelInfo[]>;
  /** Queues a retrain (idempotent per window on the job side); returns the job id. */
  retrain(req: { endpoints?: string[] }): Promise<z.infer<typeof RetrainResponse>>;
  /** Activates a kept version; false when the endpoint has no such version. */
  activate(endpoint: string, version: number): Promise<boolean>;
}

export const modelRoutes: FastifyPluginAsync<{ models: ModelsApi }> = async (app, { models }) => {
  defineRoute(app, {
    method: 'GET',
    url: '/models',
    summary: 'Model versions per endpoint and which one is active',
    tag: 'models',
    access: 'read',
    responses: { 200: ItemsOf(ModelInfoSchema) },
    handler: async () => ({ items: await models.list() }),
  });

  defineRoute<unknown, unknown, z.output<typeof RetrainBody>>(app, {
    method: 'POST',
    url: '/models/retrain',
    summary: 'Queues retraining (all endpoints or the ones named)',
    tag: 'models',
    access: 'admin',
    body: RetrainBody,
    responses: { 202: RetrainResponse, 400: ErrorSchema },
    handler: async (req, reply) => {
      reply.status(202);
      return models.retrain({ endpoints: req.body?.endpoints });
    },
  });

  defineRoute<z.output<typeof EndpointParams>, unknown, z.output<typeof ActivateBody>>(app, {
    method: 'POST',
    url: '/models/:endpoint/activate',
    summary: 'Activates a kept model version of an endpoint (a rollback is activating an older one)',
    tag: 'models',
    access: 'admin',
    params: EndpointParams,
    body: ActivateBody,
    responses: { 200: ItemsOf(ModelInfoSchema), 400: ErrorSchema, 404: ErrorSchema },
    handler: async (req) => {
      const { endpoint } = req.params;
      if (!(await models.activate(endpoint, req.body.version)))
        throw notFound(`model version ${req.body.version} of endpoint ${endpoint}`);
      return { items: (await models.list()).filter((m) => m.endpoint === endpoint) };
    },
  });
};
