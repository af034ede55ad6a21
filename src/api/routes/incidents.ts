import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { INCIDENT_STATUSES, IncidentSchema } from '../../incidents/incident.js';
import type { IncidentStore } from '../../store/incidents.js';
import { ErrorSchema, notFound } from '../errors.js';
import { IdParams } from '../schemas.js';
import { defineRoute, queryNumber, queryTime } from '../zod-bridge.js';

/** What the incident routes need of the store. */
export type IncidentsApi = Pick<IncidentStore, 'list' | 'get'>;

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

export const incidentRoutes: FastifyPluginAsync<{ incidents: IncidentsApi }> = async (app, { incidents }) => {
  defineRoute<unknown, z.output<typeof IncidentListQuery>>(app, {
    method: 'GET',
    url: '/v1/incidents',
    summary: 'Incidents, newest first, filtered by status, service and time, with a stable cursor',
    tag: 'incidents',
    access: 'read',
    query: IncidentListQuery,
    responses: { 200: IncidentPageSchema, 400: ErrorSchema },
    handler: async (req) => incidents.list(req.query),
  });

  defineRoute<z.output<typeof IdParams>>(app, {
    method: 'GET',
    url: '/v1/incidents/:id',
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
};
