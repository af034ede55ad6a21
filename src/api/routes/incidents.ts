import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { INCIDENT_STATUSES, IncidentSchema } from '../../incidents/incident.js';
import type { IncidentActionKind, IncidentActionsApi } from '../../incidents/incident.js';
import type { IncidentStore } from '../../store/incidents.js';
import { ApiError, ErrorSchema, notFound } from '../errors.js';
import { IdParams, IncidentDeliverySchema, ItemsOf, type IncidentDelivery } from '../schemas.js';
import { defineRoute, queryNumber, queryTime } from '../zod-bridge.js';

/** What the incident routes need of the store. */
export type IncidentsApi = Pick<IncidentStore, 'list' | 'get'>;
/** Acknowledge and resolve (admin). */

export const IncidentActionBody = z
  .strictObject({
    by: z
      .string()
      .trim()
      .min(1)
      .max(128)
      .optional()
      .describe("Who: a person's name (default: the API key's digest prefix, when auth is on)"),
    note: z.string().max(2000).optional().describe('Why, or what is being done about it'),
  })
  // Optional: a POST without a body (fastify hands it over as null) is an action with nothing said.
  .nullable();

export const IncidentListQuery = z
  .strictObject({
    status: z.enum(INCIDENT_STATUSES).optional(),
    service: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Only incidents naming this service as a root cause or as the service of an affected endpoint',
      ),
    from: queryTime
      .optional()
      .describe('Incidents still going on at or after: ISO 8601 or epoch milliseconds'),
    to: queryTime.optional().describe('Incidents started at or before: ISO 8601 or epoch milliseconds'),
    limit: queryNumber('an integer 1..500').pipe(z.number().int().min(1).max(500)).default(50),
    cursor: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe('nextCursor of the previous page; pages do not shift when incidents open'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  });

export const IncidentPageSchema = z.object({
  items: z.array(IncidentSchema),
  nextCursor: z.string().optional(),
});

const ACTIONS: Record<IncidentActionKind, string> = {
  acknowledge:
    'Acknowledges an open incident: no more update pages (PagerDuty acknowledge, incident.acknowledged once elsewhere)',
  resolve:
    'Resolves an open incident by hand: the resolve goes out, and the minutes before it open nothing again for its suspect',
};

export const incidentRoutes: FastifyPluginAsync<{
  incidents: IncidentsApi;
  actions?: IncidentActionsApi;
  /** The incident's webhook deliveries; absent when no webhooks are configured (the list is then empty). */
  deliveries?: (incidentId: string) => Promise<IncidentDelivery[]>;
}> = async (app, { incidents, actions, deliveries }) => {
  defineRoute<unknown, z.output<typeof IncidentListQuery>>(app, {
    method: 'GET',
    url: '/incidents',
    summary: 'Incidents, newest first, filtered by status, service and time, with a stable cursor',
    tag: 'incidents',
    access: 'read',
    query: IncidentListQuery,
    responses: { 200: IncidentPageSchema, 400: ErrorSchema },
    handler: async (req) => incidents.list(req.query),
  });

  defineRoute<z.output<typeof IdParams>>(app, {
    method: 'GET',
    url: '/incidents/:id',
    summary: 'One incident: its window, endpoints, signals, traces and ranked root causes',
    tag: 'incidents',
    access: 'read',
    params: IdParams,
    responses: { 200: IncidentSchema, 404: ErrorSchema },
    handler: async (req) => {
      const i = await incidents.get(req.params.id);
      if (!i) throw notFound(`incident ${req.params.id}`);
      return i;
    },
  });

  defineRoute<z.output<typeof IdParams>>(app, {
    method: 'GET',
    url: '/incidents/:id/deliveries',
    summary:
      "The webhook deliveries of an incident's events (opened, updated, acknowledged, resolved), newest first",
    tag: 'incidents',
    access: 'read',
    params: IdParams,
    responses: { 200: ItemsOf(IncidentDeliverySchema), 404: ErrorSchema },
    handler: async (req) => {
      if (!(await incidents.get(req.params.id))) throw notFound(`incident ${req.params.id}`);
      return { items: (await deliveries?.(req.params.id)) ?? [] };
    },
  });

  if (actions === undefined) return;
  for (const kind of ['acknowledge', 'resolve'] as const)
    defineRoute<z.output<typeof IdParams>, unknown, z.output<typeof IncidentActionBody>>(app, {
      method: 'POST',
      url: `/incidents/:id/${kind}`,
      summary: ACTIONS[kind],
      tag: 'incidents',
      access: 'admin',
      params: IdParams,
      body: IncidentActionBody,
      responses: {
        200: IncidentSchema.describe('Done (or done before: asking twice changes nothing)'),
        202: IncidentSchema.describe('Queued: the incident job applies it once the minute it judges is done'),
        400: ErrorSchema,
        403: ErrorSchema,
        404: ErrorSchema,
        409: ErrorSchema,
      },
      handler: async (req, reply) => {
        const by = req.body?.by ?? req.principal;
        const r = await actions.act(kind, req.params.id, {
          ...(by !== undefined && { by }),
          ...(req.body?.note !== undefined && { note: req.body.note }),
        });
        if (r.outcome === 'not-found') throw notFound(`incident ${req.params.id}`);
        if (r.outcome === 'resolved')
          throw new ApiError(
            409,
            'conflict',
            `incident ${req.params.id} is resolved: nothing to acknowledge`,
          );
        return reply.status(r.applied ? 200 : 202).send(r.incident);
      },
    });
};
