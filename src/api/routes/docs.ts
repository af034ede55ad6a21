import type { FastifyPluginAsync } from 'fastify';
import { buildOpenApi, docsHtml } from '../openapi.js';
import { defineRoute, type RouteDoc } from '../zod-bridge.js';

export interface DocsOptions {
  /** Filled as routes register; read when a document is asked for. */
  routes: readonly RouteDoc[];
  title: string;
  version: string;
}

export const docsRoutes: FastifyPluginAsync<DocsOptions> = async (app, opts) => {
  let cached: string | undefined;
  defineRoute(app, {
    method: 'GET',
    url: '/docs/openapi.json',
    summary: 'This OpenAPI document',
    tag: 'docs',
    access: 'open',
    responses: { 200: { contentType: 'application/json', description: 'OpenAPI 3.1' } },
    handler: async (_req, reply) => {
      cached ??= JSON.stringify(buildOpenApi(opts.routes, { title: opts.title, version: opts.version }));
      return reply.type('application/json; charset=utf-8').send(cached);
    },
  });
  defineRoute(app, {
    method: 'GET',
    url: '/docs',
    summary: 'The routes as an HTML page',
    tag: 'docs',
    access: 'open',
    responses: { 200: { contentType: 'text/html', description: 'HTML' } },
    handler: async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(docsHtml(opts.routes, opts.title)),
  });
};
