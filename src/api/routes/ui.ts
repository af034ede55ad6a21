import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ApiError, ErrorSchema } from '../errors.js';
import { defineRoute } from '../zod-bridge.js';

/**
 * Where `npm run build` puts the web UI: dist/ui at the package root. This file sits three folders below the
 * root both as src/api/routes/ui.ts (tsx) and as dist/api/routes/ui.js (built), so one path serves both.
 */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../dist/ui', import.meta.url));

const AssetParams = z.strictObject({
  file: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'expected a file name of letters, digits, . _ -'),
});

/**
 * The web UI's files. Open routes (the page must load before it can ask for an API key); the UI then calls
 * the same /v1 routes as any client, with the key. Hash routing keeps every screen at `/`.
 */
export const uiRoutes: FastifyPluginAsync<{ dir: string }> = async (app, { dir }) => {
  const built = existsSync(`${dir}/index.html`);
  if (!built) app.log.warn(`web UI not found in ${dir}: run npm run build; GET / answers 404 until then`);
  await app.register(fastifyStatic, { root: dir, serve: false });
  const missing = () =>
    new ApiError(404, 'not_found', `web UI not built (no ${dir}/index.html): run npm run build`);

  defineRoute(app, {
    method: 'GET',
    url: '/',
    summary: 'The web UI',
    tag: 'ui',
    access: 'open',
    responses: { 200: { contentType: 'text/html', description: 'HTML' }, 404: ErrorSchema },
    handler: async (_req, reply) => {
      if (!built) throw missing();
      // The page names its hashed assets: it must never be cached past a rebuild; the assets may be forever.
      return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    },
  });

  defineRoute<z.output<typeof AssetParams>>(app, {
    method: 'GET',
    url: '/assets/:file',
    summary: "The web UI's scripts and styles (content-hashed names)",
    tag: 'ui',
    access: 'open',
    params: AssetParams,
    responses: { 200: { contentType: 'application/octet-stream', description: 'a file' }, 404: ErrorSchema },
    handler: async (req, reply) => {
      if (!built) throw missing();
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .sendFile(`assets/${req.params.file}`, { cacheControl: false });
    },
  });
};
