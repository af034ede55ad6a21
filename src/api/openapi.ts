import { z } from 'zod';
import type { RouteDoc } from './zod-bridge.js';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  delete s.$schema;
  return s;
}

/** `/v1/anomalies/:id` -> `/v1/anomalies/{id}` */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input');
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (required.has(name) && p.default === undefined),
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
    schema: p,
  }));
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Invalid request (the message names the parameter)',
  401: 'Missing or unknown API key',
  403: 'The key lacks the role',
  404: 'Not found',
  413: 'Body too large',
  415: 'Unsupported media type or encoding',
  429: 'Rate limited',
  503: 'Not ready',
};

/** The OpenAPI 3.1 document of the routes registered, built from their zod schemas. */
export function buildOpenApi(routes: readonly RouteDoc[], info: { title: string; version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const path = openApiPath(r.url);
    const op: Json = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, res]) => {
          const description = STATUS_TEXT[Number(status)] ?? 'Response';
          if (res instanceof z.ZodType)
            return [
              status,
              { description, content: { 'application/json': { schema: jsonSchema(res, 'output') } } },
            ];
          if (res.contentType === 'none') return [status, { description: res.description }];
          const schema = res.schema ? jsonSchema(res.schema, 'output') : { type: 'string' };
          return [status, { description: res.description, content: { [res.contentType]: { schema } } }];
        }),
      ),
    };
    if (r.body)
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(r.body, 'input') } },
      };
    if (r.rawBody)
      op.requestBody = {
        required: true,
        description: r.rawBody.description,
        content: Object.fromEntries(
          r.rawBody.contentTypes.map((t) => [t, { schema: { type: 'string', format: 'binary' } }]),
        ),
      };
    if (r.access === 'open') op.security = [];
    else (op.responses as Json)['401'] ??= { description: STATUS_TEXT[401] };
    if (r.access === 'admin') (op.responses as Json)['403'] ??= { description: STATUS_TEXT[403] };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'Ranked anomalous traces with root-cause suggestions. Send `Authorization: Bearer <key>`: read keys may GET, admin keys may also write. Errors are `{"error":{"code","message"}}`.',
    },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    security: [{ apiKey: [] }],
    paths,
  };
}
