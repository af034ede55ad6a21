import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { readTracePayload } from '../../formats/read.js';
import { InputError, type FormatName } from '../../formats/types.js';
import type { Trace } from '../../trace/trace.js';
import { ApiError, ErrorSchema } from '../errors.js';
import { defineRoute } from '../zod-bridge.js';
import { decode } from './score.js';

export interface IngestOptions {
  /** Takes the spans of a push; they wait until their trace settles. */
  ingest: (traces: Trace[]) => Promise<void>;
  bodyLimit?: number;
  maxDecodedBytes?: number;
}

const OtlpResponse = z.object({
  partialSuccess: z.object({ rejectedSpans: z.number().int(), errorMessage: z.string() }).optional(),
});

/**
 * Push ingestion: OTLP/HTTP (`POST /v1/traces`, JSON or protobuf, gzip) as collectors export it, and Zipkin's
 * collector endpoint (`POST /api/v2/spans`). Spans are buffered, not scored here: a trace is scored once it
 * has been quiet for the settle time, so its late spans are not missed.
 */
export const ingestRoutes: FastifyPluginAsync<IngestOptions> = async (app, opts) => {
  const bodyLimit = opts.bodyLimit ?? 16 * 1024 * 1024;
  const maxDecoded = opts.maxDecodedBytes ?? 128 * 1024 * 1024;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  const take = async (body: unknown, encoding: string | undefined, format?: FormatName) => {
    if (!Buffer.isBuffer(body) || body.length === 0)
      throw new ApiError(400, 'invalid_payload', 'the body is empty');
    try {
      const { traces, report } = readTracePayload(decode(body, encoding, maxDecoded), { format });
      await opts.ingest(traces);
      return report;
    } catch (err) {
      if (err instanceof InputError) throw new ApiError(400, 'invalid_payload', err.message);
      throw err;
    }
  };

  defineRoute(app, {
    method: 'POST',
    url: '/v1/traces',
    summary: 'OTLP/HTTP trace export (JSON or protobuf, gzip allowed)',
    tag: 'ingest',
    access: 'admin',
    rawBody: {
      contentTypes: ['application/json', 'application/x-protobuf'],
      description: 'An ExportTraceServiceRequest',
    },
    bodyLimit,
    responses: { 200: OtlpResponse, 400: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema },
    handler: async (req) => {
      const media = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
      const report = await take(
        req.body,
        req.headers['content-encoding'],
        media === 'application/x-protobuf' ? 'otlp-proto' : undefined,
      );
      return report.skipped > 0
        ? {
            partialSuccess: {
              rejectedSpans: report.skipped,
              errorMessage: report.warnings.slice(0, 3).join('; '),
            },
          }
        : {};
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
    responses: { 202: z.object({}), 400: ErrorSchema, 413: ErrorSchema },
    handler: async (req, reply) => {
      await take(req.body, req.headers['content-encoding']);
      reply.code(202);
      return {};
    },
  });
};
