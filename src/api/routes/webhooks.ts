import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import {
  CreateWebhookSchema,
  WebhookSchema,
  redactWebhook,
  type CreateWebhookInput,
  type Webhook,
} from '../../webhooks/schema.js';
import { incidentOfEventId } from '../../webhooks/events.js';
import { ErrorSchema, notFound } from '../errors.js';
import {
  DeliveriesQuery,
  DeliverySchema,
  IdParams,
  ItemsOf,
  type IncidentDelivery,
  type WebhookDelivery,
} from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';

/** What the webhook routes need (src/webhooks' WebhookStore covers list/create/delete). */
export interface WebhooksApi {
  list(): Promise<Webhook[]>;
  /** Validates and stores; throws WebhookUrlError for a refused URL (answered 400). */
  create(input: CreateWebhookInput): Promise<Webhook>;
  delete(id: string): Promise<boolean>;
  /** Sends a test event now; undefined when there is no such webhook. */
  test(id: string): Promise<WebhookDelivery | undefined>;
  /** Latest deliveries first; undefined when there is no such webhook. */
  deliveries(id: string, limit: number): Promise<WebhookDelivery[] | undefined>;
}

/** Entries read of each webhook's log when looking for one incident's: at least what a log keeps by default. */
const LOG_SCAN = 1000;

/**
 * The deliveries of one incident's events to every webhook, newest first: what its page shows of who was told.
 * Reads each webhook's log (capped, so a busy webhook's older entries are gone), never the anomalies.
 */
export async function incidentDeliveries(
  webhooks: WebhooksApi,
  incidentId: string,
): Promise<IncidentDelivery[]> {
  const hooks = await webhooks.list();
  const logs = await Promise.all(
    hooks.map(async (w) =>
      ((await webhooks.deliveries(w.id, LOG_SCAN)) ?? [])
        .filter((d) => d.eventId !== undefined && incidentOfEventId(d.eventId) === incidentId)
        .map((d) => ({ ...d, webhookId: w.id, url: redactWebhook(w).url })),
    ),
  );
  return logs.flat().sort((a, b) => b.at.localeCompare(a.at));
}

/** The webhook as shown: the secret is redacted, so the response schema relaxes it to a string. */
const ShownWebhook = z.object({ ...WebhookSchema.shape, secret: z.string().optional() });

export const webhookRoutes: FastifyPluginAsync<{ webhooks: WebhooksApi }> = async (app, { webhooks }) => {
  defineRoute(app, {
    method: 'GET',
    url: '/webhooks',
    summary: 'Configured webhooks (secrets redacted)',
    tag: 'webhooks',
    access: 'read',
    responses: { 200: ItemsOf(ShownWebhook) },
    handler: async () => ({ items: (await webhooks.list()).map(redactWebhook) }),
  });

  defineRoute<unknown, unknown, CreateWebhookInput>(app, {
    method: 'POST',
    url: '/webhooks',
    summary: 'Adds a webhook',
    tag: 'webhooks',
    access: 'admin',
    body: CreateWebhookSchema,
    responses: { 201: ShownWebhook, 400: ErrorSchema },
    handler: async (req, reply) => {
      const w = await webhooks.create(req.body);
      reply.status(201);
      return redactWebhook(w);
    },
  });

  defineRoute<z.output<typeof IdParams>>(app, {
    method: 'DELETE',
    url: '/webhooks/:id',
    summary: 'Removes a webhook with its delivery log',
    tag: 'webhooks',
    access: 'admin',
    params: IdParams,
    responses: { 204: { contentType: 'none', description: 'removed' }, 404: ErrorSchema },
    handler: async (req, reply) => {
      if (!(await webhooks.delete(req.params.id))) throw notFound(`webhook ${req.params.id}`);
      return reply.status(204).send();
    },
  });

  defineRoute<z.output<typeof IdParams>>(app, {
    method: 'POST',
    url: '/webhooks/:id/test',
    summary: 'Sends a test event to a webhook and reports the delivery',
    tag: 'webhooks',
    access: 'admin',
    params: IdParams,
    responses: { 200: DeliverySchema, 404: ErrorSchema },
    handler: async (req) => {
      const d = await webhooks.test(req.params.id);
      if (!d) throw notFound(`webhook ${req.params.id}`);
      return d;
    },
  });

  defineRoute<z.output<typeof IdParams>, z.output<typeof DeliveriesQuery>>(app, {
    method: 'GET',
    url: '/webhooks/:id/deliveries',
    summary: "A webhook's recent deliveries, newest first",
    tag: 'webhooks',
    access: 'read',
    params: IdParams,
    query: DeliveriesQuery,
    responses: { 200: ItemsOf(DeliverySchema), 404: ErrorSchema },
    handler: async (req) => {
      const items = await webhooks.deliveries(req.params.id, req.query.limit);
      if (!items) throw notFound(`webhook ${req.params.id}`);
      return { items };
    },
  });
};
