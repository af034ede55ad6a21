import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { QueryError } from '../store/sort-key.js';

/** Every error body: `{ error: { code, message } }`. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
  }),
});

/** An error a handler raises on purpose, with its status and machine-readable code. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

const PART: Record<string, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  body: 'body field',
  headers: 'header',
};

/** "query parameter limit: Too big: expected number to be <=500 (got "900")" — one line per issue. */
export function describeIssues(part: string, err: z.ZodError, input: unknown): string {
  return err.issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      let got = input;
      for (const p of i.path)
        got = got && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[p] : undefined;
      const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)?.slice(0, 80)})`;
      return path
        ? `${PART[part] ?? part} ${path}: ${i.message}${shown}`
        : `${PART[part] ?? part}: ${i.message}`;
    })
    .join('; ');
}

function send(statusCode: number, code: string, message: string) {
  return { statusCode, body: { error: { code, message } } };
}

/** Maps anything thrown to a status and the error body; 5xx details are logged, not shown. */
export function toErrorReply(err: unknown): { statusCode: number; body: z.infer<typeof ErrorSchema> } {
  if (err instanceof ApiError) return send(err.statusCode, err.code, err.message);
  if (err instanceof QueryError)
    return send(400, 'invalid_request', `query parameter ${err.param}: ${err.message}`);
  if (err instanceof z.ZodError) return send(400, 'invalid_request', describeIssues('body', err, undefined));
  const e = err as Partial<FastifyError> & { name?: string };
  if (e.name === 'WebhookUrlError') return send(400, 'invalid_webhook_url', String(e.message));
  if (e.code === 'FST_ERR_VALIDATION') return send(400, 'invalid_request', String(e.message));
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(413, 'payload_too_large', String(e.message));
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return send(415, 'unsupported_media_type', 'send the body as application/json');
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (e.statusCode === 400 && err instanceof SyntaxError))
    return send(400, 'invalid_json', 'the body is not valid JSON');
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return send(400, 'invalid_request', 'the JSON body is empty');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return send(e.statusCode, String(e.code ?? 'bad_request').toLowerCase(), String(e.message));
  return send(500, 'internal', 'internal error (see the service log)');
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { statusCode, body } = toErrorReply(err);
    if (statusCode >= 500) req.log.error({ err }, 'request failed');
    return reply.status(statusCode).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }),
  );
}
