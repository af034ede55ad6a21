import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { SessionStore } from '../../store/sessions.js';
import { ErrorSchema, notFound } from '../errors.js';
import { SessionListQuery, SessionPageSchema, SessionParams, SessionSchema } from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';

/** What the session routes need of the store. */
export type SessionsApi = Pick<SessionStore, 'list' | 'get'>;

export const sessionRoutes: FastifyPluginAsync<{ sessions: SessionsApi }> = async (app, { sessions }) => {
  defineRoute<unknown, z.output<typeof SessionListQuery>>(app, {
    method: 'GET',
    url: '/sessions',
    summary:
      'Sessions (traces tied by a session or user attribute), most recently active first; search by id prefix',
    tag: 'sessions',
    access: 'read',
    query: SessionListQuery,
    responses: { 200: SessionPageSchema, 400: ErrorSchema },
    handler: async (req) => ({ items: await sessions.list(req.query) }),
  });

  defineRoute<z.output<typeof SessionParams>>(app, {
    method: 'GET',
    url: '/sessions/:id',
    summary: 'One session: its scored traces in time order, with the first root cause of the anomalous ones',
    tag: 'sessions',
    access: 'read',
    params: SessionParams,
    responses: { 200: SessionSchema, 400: ErrorSchema, 404: ErrorSchema },
    handler: async (req) => {
      const s = await sessions.get(req.params.id);
      if (!s) throw notFound(`session ${JSON.stringify(req.params.id)}`);
      return s;
    },
  });
};
