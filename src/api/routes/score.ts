import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { readTracePayload } from '../../formats/read.js';
import { InputError } from '../../formats/types.js';
import { explainOptions, type ScoreOptions } from '../../scoring/model-set.js';
import type { ScoredTrace } from '../../scoring/scored-trace.js';
import type { Trace } from '../../trace/trace.js';
import { ApiError, ErrorSchema } from '../errors.js';
import { ScoreQuery, ScoreResponseSchema, type ScoreResult } from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';

/** Scores a request body (already decompressed). Throw ApiError for a status other than 500. */
export type ScoreFn = (
  body: Buffer,
  contentType: string | undefined,
  request?: ScoreRequest,
) => Promise<ScoreResult>;

/** What the caller asked for beside the body: a forced format, and which traces get causes. */
export type ScoreRequest = Partial<z.output<typeof ScoreQuery>>;

export interface ScoreRouteOptions {
  score: ScoreFn;
  /** Bytes on the wire (default 16 MiB). */
  bodyLimit?: number;
  /** Bytes after Content-Encoding is undone, against compression bombs (default 128 MiB). */
  maxDecodedBytes?: number;
}

const PROTOBUF_TYPES = new Set([
  'application/x-protobuf',
  'application/protobuf',
  'application/vnd.google.protobuf',
]);

/**
 * The usual ScoreFn: reads any payload format readTracePayload knows and scores the traces. A protobuf
 * Content-Type forces OTLP protobuf; otherwise the format is detected (or given by ?format=).
 */
export function payloadScorer(
  score: (traces: Trace[], opts: ScoreOptions) => ScoredTrace[] | Promise<ScoredTrace[]>,
): ScoreFn {
  return async (body, contentType, { format, explain } = {}) => {
    const media = contentType?.split(';')[0].trim().toLowerCase();
    const forced = format ?? (media && PROTOBUF_TYPES.has(media) ? 'otlp-proto' : undefined);
    let read;
    try {
      read = readTracePayload(body, { format: forced });
    } catch (err) {
      if (err instanceof InputError) throw new ApiError(400, 'invalid_payload', err.message);
      throw new ApiError(400, 'invalid_payload', `cannot read the body: ${(err as Error).message}`);
    }
    const items = read.traces.length > 0 ? await score(read.traces, explainOptions(explain ?? 'top')) : [];
    return { items, skipped: read.report.skipped, warnings: read.report.warnings };
  };
}

/** Undoes Content-Encoding, capped against compression bombs. */
export function decode(body: Buffer, encoding: string | undefined, max: number): Buffer {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  try {
    if (enc === 'identity' || enc === '') return body;
    if (enc === 'gzip' || enc === 'x-gzip') return gunzipSync(body, { maxOutputLength: max });
    if (enc === 'deflate') return inflateSync(body, { maxOutputLength: max });
    if (enc === 'br') return brotliDecompressSync(body, { maxOutputLength: max });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || /larger than/i.test(e.message))
      throw new ApiError(413, 'payload_too_large', `the ${enc}-decoded body exceeds ${max} bytes`);
    throw new ApiError(
      400,
      'invalid_payload',
      `Content-Encoding ${enc}: cannot decode the body (${e.message})`,
    );
  }
  throw new ApiError(
    415,
    'unsupported_media_type',
    `Content-Encoding ${enc} is not supported (gzip, deflate, br)`,
  );
}

export const scoreRoutes: FastifyPluginAsync<ScoreRouteOptions> = async (app, opts) => {
  const bodyLimit = opts.bodyLimit ?? 16 * 1024 * 1024;
  const maxDecoded = opts.maxDecodedBytes ?? 128 * 1024 * 1024;
  // Every body reaches the handler as bytes: the readers detect the format, so JSON is not parsed twice.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  defineRoute<unknown, z.output<typeof ScoreQuery>, Buffer>(app, {
    method: 'POST',
    url: '/score',
    summary:
      'Scores the traces in the body (Jaeger, Zipkin, OTLP JSON/protobuf, NDJSON; gzip allowed); explain=all gives every trace its ranked causes',
    tag: 'score',
    access: 'admin',
    query: ScoreQuery,
    rawBody: {
      contentTypes: ['application/json', 'application/x-ndjson', 'application/x-protobuf'],
      description: 'A trace payload in any format the readers know, optionally with Content-Encoding gzip',
    },
    bodyLimit,
    responses: { 200: ScoreResponseSchema, 400: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema },
    handler: async (req) => {
      if (!Buffer.isBuffer(req.body) || req.body.length === 0)
        throw new ApiError(400, 'invalid_payload', 'the body is empty (send a trace payload)');
      const body = decode(req.body, req.headers['content-encoding'], maxDecoded);
      return opts.score(body, req.headers['content-type'], req.query);
    },
  });
};
