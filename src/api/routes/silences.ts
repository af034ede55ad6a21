import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { SilenceStore } from '../../store/silences.js';
import { CreateSilenceSchema, SilenceSchema } from '../../webhooks/silence.js';
import { ErrorSchema, notFound } from '../errors.js';
import { IdParams, ItemsOf } from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';

export type SilencesApi = Pick<SilenceStore, 'active' | 'create' | 'remove'>;

/** Silences: no pages about a service or endpoint for a while; anomalies and incidents are still recorded. */
export const silenceRoutes: FastifyPluginAsync<{ silences: SilencesApi }> = async (app, { silences }) => {
  defineRoute(app, {
    method: 'GET',
    url: '/silences',
    summary: 'Silences in force, soonest to end first',
    tag: 'webhooks',
    access: 'read',
    responses: { 200: ItemsOf(SilenceSchema), 401: ErrorSchema },
    handler: async () => ({ items: await silences.active() }),
  });

  defineRoute<unknown, unknown, z.output<typeof CreateSilenceSchema>>(app, {
    method: 'POST',
    url: '/silences',
    summary: 'Silences a service or an endpoint for some minutes: no webhook pages about it until then',
    tag: 'webhooks',
    access: 'admin',
    body: CreateSilenceSchema,
    responses: { 201: SilenceSchema, 400: ErrorSchema, 403: ErrorSchema },
    handler: async (req, reply) => reply.status(201).send(await silences.create(req.body, req.principal)),
  });

  defineRoute<z.output<typeof IdParams>>(app, {
    method: 'DELETE',
    url: '/silences/:id',
    summary: 'Ends a silence now',
    tag: 'webhooks',
    access: 'admin',
    params: IdParams,
    responses: { 204: { contentType: 'none', description: 'ended' }, 404: ErrorSchema },
    handler: async (req, reply) => {
      if (!(await silences.remove(req.params.id))) throw notFound(`silence ${req.params.id}`);
      return reply.status(204).send();
    },
  });
};
