import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { encodeOtlpResponse, encodeRpcStatus } from '../../formats/otlp-proto.js';
import { InputError, type FormatName } from '../../formats/types.js';
import { partialOf, PushOverloadedError, takePush, type PushIntake } from '../push-intake.js';
import { ApiError, ErrorSchema, toErrorReply } from '../errors.js';
import { defineRoute } from '../zod-bridge.js';
import { decode } from './score.js';

export interface IngestOptions extends PushIntake {
  /** Seconds a refused sender is told to wait (default 5). */
  retryAfterS?: number;
  bodyLimit?: number;
  maxDecodedBytes?: number;
}

const OtlpResponse = z.object({
  partialSuccess: z.object({ rejectedSpans: z.number().int(), errorMessage: z.string() }).optional(),
});
const ZipkinResponse = z.object({
  rejectedSpans: z.number().int().optional(),
  errorMessage: z.string().optional(),
});

const PROTOBUF = 'application/x-protobuf';
/** gRPC status codes carried by a google.rpc.Status reply to a protobuf request. */
const GRPC_CODE: Record<number, number> = { 400: 3, 413: 8, 415: 3, 429: 8, 503: 14 };

/**
 * Push ingestion: OTLP/HTTP (`POST /v1/traces`, JSON or protobuf, gzip) as collectors export it, and Zipkin's
 * collector endpoint (`POST /api/v2/spans`). Spans are buffered, not scored here: a trace is scored once it
 * has been quiet for the settle time, so its late spans are not missed.
 *
 * As OTLP/HTTP prescribes: the reply uses the request's encoding; spans that cannot be trusted (unreadable
 * ids or times, a start outside a week before to an hour after now, over a day long) are dropped, counted
 * and reported as a partial success (200) while the good spans of the same request are kept; a payload
 * that cannot be read at all is 400 (clients do not retry it); a full buffer is 503 with Retry-After.
 */
export const ingestRoutes: FastifyPluginAsync<IngestOptions> = async (app, opts) => {
  const bodyLimit = opts.bodyLimit ?? 16 * 1024 * 1024;
  const maxDecoded = opts.maxDecodedBytes ?? 128 * 1024 * 1024;
  const retryAfter = opts.retryAfterS ?? 5;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  const take = async (route: string, req: FastifyRequest, reply: FastifyReply, format: FormatName) => {
    const body = req.body ?? (format === 'otlp-proto' ? Buffer.alloc(0) : undefined);
    if (!Buffer.isBuffer(body)) throw new ApiError(400, 'invalid_payload', 'the body is empty');
    try {
      return await takePush(opts, route, decode(body, req.headers['content-encoding'], maxDecoded), format);
    } catch (err) {
      if (err instanceof InputError) throw new ApiError(400, 'invalid_payload', err.message);
      if (err instanceof PushOverloadedError) {
        reply.header('retry-after', String(retryAfter));
        throw new ApiError(503, 'overloaded', `${err.message}; retry after ${retryAfter} s`);
      }
      throw err;
    }
  };

  /** Errors to a protobuf request are a google.rpc.Status in protobuf, as OTLP/HTTP says. */
  const protoError = (err: unknown, reply: FastifyReply) => {
    const { statusCode, body } = toErrorReply(err);
    if (statusCode >= 500 && statusCode !== 503) throw err;
    return reply
      .code(statusCode)
      .type(PROTOBUF)
      .send(Buffer.from(encodeRpcStatus(GRPC_CODE[statusCode] ?? 2, body.error.message)));
  };

  defineRoute(app, {
    method: 'POST',
    url: '/v1/traces',
    summary: 'OTLP/HTTP trace export (JSON or protobuf, gzip allowed); the reply uses the request encoding',
    tag: 'ingest',
    access: 'admin',
    rawBody: {
      contentTypes: ['application/json', PROTOBUF],
      description: 'An ExportTraceServiceRequest',
    },
    bodyLimit,
    responses: {
      200: OtlpResponse,
      400: ErrorSchema,
      413: ErrorSchema,
      415: ErrorSchema,
      503: ErrorSchema,
    },
    handler: async (req, reply) => {
      const media = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
      const proto = media === PROTOBUF || media === 'application/protobuf';
      if (!proto) {
        const report = await take('otlp', req, reply, 'otlp-json');
        const partialSuccess = partialOf(report);
        return partialSuccess ? { partialSuccess } : {};
      }
      try {
        const report = await take('otlp', req, reply, 'otlp-proto');
        return reply.type(PROTOBUF).send(Buffer.from(encodeOtlpResponse(partialOf(report))));
      } catch (err) {
        return protoError(err, reply);
      }
    },
  });

  defineRoute(app, {
    method: 'POST',
    url: '/api/v2/spans',
    summary: 'Zipkin v2 span collector (JSON, gzip allowed)',
    tag: 'ingest',
    access: 'admin',
    rawBody: { contentTypes: ['application/json'], description: 'A list of Zipkin v2 spans' },
    bodyLimit,
    responses: { 202: ZipkinResponse, 400: ErrorSchema, 413: ErrorSchema, 503: ErrorSchema },
    handler: async (req, reply) => {
      const report = await take('zipkin', req, reply, 'zipkin-v2');
      reply.code(202);
      return partialOf(report) ?? {};
    },
  });
};
