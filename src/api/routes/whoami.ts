import type { FastifyPluginAsync } from 'fastify';
import { bearerKey, keyMatcher, type Role } from '../auth.js';
import { WhoamiSchema } from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';

/**
 * What the presented key may do, so a client (the web UI) can ask for a key or hide what it would be refused.
 * Open, and 200 whatever the key: asking "do I need a key?" is not an error.
 */
export const whoamiRoutes: FastifyPluginAsync<{ apiKeys: ReadonlyMap<string, Role> }> = async (
  app,
  { apiKeys },
) => {
  const match = keyMatcher(apiKeys);
  defineRoute(app, {
    method: 'GET',
    url: '/whoami',
    summary: "The caller's role: read or admin (admin when auth is off; none for a missing or unknown key)",
    tag: 'auth',
    access: 'open',
    responses: { 200: WhoamiSchema },
    handler: async (req) => {
      if (apiKeys.size === 0) return { auth: false, role: 'admin' };
      const key = bearerKey(req);
      const role = key === undefined ? undefined : match(key);
      return role ? { auth: true, role } : { auth: true };
    },
  });
};
