import type { FastifyPluginAsync } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { buildOpenApi } from '../openapi.js';
import { defineRoute, type RouteDoc } from '../zod-bridge.js';

export interface DocsOptions {
  /** Filled as routes register; read once the app is ready. */
  routes: readonly RouteDoc[];
  title: string;
  version: string;
}

/**
 * `/docs/openapi.json` (our document, built from the zod schemas) and the interactive Swagger UI at `/docs`
 * showing that same document. The UI's files come from the @fastify/swagger-ui package, not a CDN: the service
 * may run without internet access.
 */
export const docsRoutes: FastifyPluginAsync<DocsOptions> = async (app, opts) => {
  // One object for both: @fastify/swagger keeps a reference to it, and it is filled in once every route
  // group has registered (routes registered after this plugin are in the document too).
  const document: Record<string, unknown> = {};
  let text: string | undefined;
  app.addHook('onReady', async () => {
    Object.assign(document, buildOpenApi(opts.routes, { title: opts.title, version: opts.version }));
    text = JSON.stringify(document);
  });
  // The UI's pages and assets carry no RouteDoc (they are not API routes, and stay out of the document);
  // they are open like the rest of /docs.
  app.addHook('onRoute', (r) => {
    if (!r.config?.doc) r.config = { ...r.config, access: 'open' };
  });

  defineRoute(app, {
    method: 'GET',
    url: '/docs/openapi.json',
    summary: 'This OpenAPI document',
    tag: 'docs',
    access: 'open',
    responses: { 200: { contentType: 'application/json', description: 'OpenAPI 3.1' } },
    handler: async (_req, reply) => reply.type('application/json; charset=utf-8').send(text),
  });

  await app.register(fastifySwagger, { mode: 'static', specification: { document: document as never } });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    theme: { title: `${opts.title} API` },
    // No call to the online validator at validator.swagger.io (false is also the plugin's default).
    validatorUrl: false,
  });
};
