import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import type { Access } from './zod-bridge.js';

export type Role = 'read' | 'admin';

/**
 * Parses `TRACEHOUND_API_KEYS=key:role,key2:role2` (role read or admin, required). Throws naming the
 * entry that is wrong, so a typo stops the service rather than locking everybody out.
 */
export function parseApiKeys(spec: string | undefined): Map<string, Role> {
  const keys = new Map<string, Role>();
  if (!spec) return keys;
  spec.split(',').forEach((raw, i) => {
    const entry = raw.trim();
    if (entry === '') return;
    const colon = entry.lastIndexOf(':');
    if (colon < 0)
      throw new Error(`TRACEHOUND_API_KEYS entry ${i + 1}: expected KEY:read or KEY:admin (no role given)`);
    const key = entry.slice(0, colon);
    const role = entry.slice(colon + 1);
    if (role !== 'read' && role !== 'admin')
      throw new Error(`TRACEHOUND_API_KEYS entry ${i + 1}: role "${role}" is not read or admin`);
    if (key.length < 8)
      throw new Error(`TRACEHOUND_API_KEYS entry ${i + 1}: a key needs at least 8 characters`);
    keys.set(key, role);
  });
  return keys;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Finds the role of a presented key. Every configured key is compared (no early exit) over SHA-256 digests,
 * so neither a key's length nor which key matched shows in the time taken.
 */
export function keyMatcher(keys: ReadonlyMap<string, Role>): (presented: string) => Role | undefined {
  const table = [...keys].map(([k, role]) => ({ d: digest(k), role }));
  return (presented) => {
    const d = digest(presented);
    let found: Role | undefined;
    for (const e of table) if (timingSafeEqual(d, e.d)) found = e.role;
    return found;
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller: a key's digest prefix, or undefined when auth is off or the route is open. */
    principal?: string;
  }
}

/** The key of an `Authorization: Bearer <key>` header, if the request has one. */
export function bearerKey(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

/** The role a route needs: its doc's, else its config's, else read for GET and admin for the rest. */
export function routeAccess(req: FastifyRequest): Access {
  const access = req.routeOptions.config?.doc?.access ?? req.routeOptions.config?.access;
  if (access) return access;
  return req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'admin';
}

/** Bearer-key auth on every route that is not open. With no keys configured everything is allowed. */
export function installAuth(app: FastifyInstance, keys: ReadonlyMap<string, Role>): void {
  if (keys.size === 0) {
    app.log.warn(
      'no API keys configured (TRACEHOUND_API_KEYS): every route is open to anyone who can connect',
    );
    return;
  }
  const match = keyMatcher(keys);
  app.addHook('onRequest', async (req) => {
    const need = routeAccess(req);
    if (need === 'open') return;
    const key = bearerKey(req);
    if (!key) throw new ApiError(401, 'unauthorized', 'missing Authorization: Bearer <api key>');
    const role = match(key);
    if (!role) throw new ApiError(401, 'unauthorized', 'unknown API key');
    if (need === 'admin' && role !== 'admin')
      throw new ApiError(
        403,
        'forbidden',
        `this key has role ${role}; ${req.method} ${req.url.split('?')[0]} needs admin`,
      );
    req.principal = 'key:' + digest(key).toString('hex').slice(0, 12);
  });
}
