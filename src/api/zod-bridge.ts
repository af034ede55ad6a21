/**
 * Routes defined once from their zod schemas: validation with our error shape, and the OpenAPI document that
 * /docs shows. Kept instead of fastify-type-provider-zod: that provider validates but leaves the error shape,
 * the access rule and the document to be wired per route, which this one place already does in 88 lines.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { z } from 'zod';
import { describeIssues } from './errors.js';

export type Access = 'open' | 'read' | 'admin';

/** What a route says about itself: access, its zod schemas (validation and OpenAPI) and its responses. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  url: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A body that is not JSON (raw bytes): its media types and a description. */
  rawBody?: { contentTypes: string[]; description: string };
  /** Status -> schema (JSON) or a text response's media type (with a schema of what the text encodes). */
  responses: Record<number, z.ZodType | { contentType: string; description: string; schema?: z.ZodType }>;
}

export interface RouteSpec<P, Q, B> extends RouteDoc {
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  bodyLimit?: number;
  handler: (req: FastifyRequest & { params: P; query: Q; body: B }, reply: FastifyReply) => Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    doc?: RouteDoc;
    /** Who may call a route that has no doc (the docs UI's files); without either, GET needs read, else admin. */
    access?: Access;
  }
}

/** Fastify validates each part with the route's zod schema, replacing it by the parsed (coerced) value. */
export function installZodValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const zs = schema as unknown as z.ZodType;
    return (data: unknown) => {
      const r = zs.safeParse(data);
      if (r.success) return { value: r.data };
      const err = new Error(describeIssues(httpPart ?? 'body', r.error, data));
      return { error: err };
    };
  });
}

/** Registers one route; its doc travels in the route config so the OpenAPI builder finds it. */
export function defineRoute<P = unknown, Q = unknown, B = unknown>(
  app: FastifyInstance,
  spec: RouteSpec<P, Q, B>,
): void {
  const { handler, bodyLimit, ...doc } = spec;
  const schema: Record<string, unknown> = {};
  if (doc.params) schema.params = doc.params;
  if (doc.query) schema.querystring = doc.query;
  if (doc.body) schema.body = doc.body;
  const opts: RouteShorthandOptions = { schema, config: { doc }, ...(bodyLimit ? { bodyLimit } : {}) };
  app.route({
    method: doc.method,
    url: doc.url,
    ...opts,
    handler: handler as (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  });
}

/** Query strings carry text: numbers and times are coerced, with messages that say what was expected. */
export const queryNumber = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, `expected ${what}`)
    .transform(Number);

/** An instant as ISO 8601 or epoch milliseconds, to epoch ms. */
export const queryTime = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  });
