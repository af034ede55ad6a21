import * as grpc from '@grpc/grpc-js';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/index.js';
import { startOtlpGrpc, TRACE_SERVICE, type OtlpGrpcServer } from '../../src/api/otlp-grpc.js';
import { decodeOtlpResponse, encodeOtlpProto } from '../../src/formats/otlp-proto.js';
import { ADMIN_KEY, auth, baseDeps } from '../helpers/api-stubs.js';
import { otlpDoc, otlpSpan, recordingIngest } from './ingest-payloads.js';

/**
 * The stock OpenTelemetry JS exporters (OTLP/HTTP JSON, OTLP/HTTP protobuf, OTLP/gRPC with gzip) export to
 * the service and log nothing: their diagnostics are captured and must stay empty at WARN and above.
 */

const diagnostics: string[] = [];
const capture =
  (level: string) =>
  (msg: string, ...args: unknown[]) =>
    diagnostics.push(`${level} ${msg} ${args.map(String).join(' ')}`);
const logger: DiagLogger = {
  error: capture('error'),
  warn: capture('warn'),
  info: () => {},
  debug: () => {},
  verbose: () => {},
};

let app: FastifyInstance;
let url: string;
let grpcServer: OtlpGrpcServer;
let received: string[];

beforeAll(async () => {
  diag.setLogger(logger, DiagLogLevel.WARN);
  const rec = recordingIngest();
  received = rec.spans;
  app = await buildApi(baseDeps({ ingest: rec.ingest }), { rateLimit: false });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  grpcServer = await startOtlpGrpc(
    { ingest: rec.ingest },
    { host: '127.0.0.1', port: 0, authorized: (h) => h === `Bearer ${ADMIN_KEY}` },
  );
});
afterAll(async () => {
  diag.disable();
  await grpcServer.close();
  await app.close();
});
beforeEach(() => {
  received.length = 0;
  diagnostics.length = 0;
});

/** Ends `n` spans through a provider whose only processor exports with `exporter`, and flushes. */
/** ExportResultCode.SUCCESS of @opentelemetry/core. */
const SUCCESS = 0;

async function exportSpans(exporter: SpanExporter, n: number): Promise<Array<{ code: number }>> {
  const results: Array<{ code: number }> = [];
  const spy: SpanExporter = {
    export: (spans, done) => exporter.export(spans, (r) => (results.push(r), done(r))),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    spanProcessors: [new SimpleSpanProcessor(spy)],
  });
  const tracer = provider.getTracer('test');
  for (let i = 0; i < n; i++) tracer.startSpan(`op ${i}`).end();
  await provider.forceFlush();
  await provider.shutdown();
  return results;
}

const headers = auth(ADMIN_KEY);

describe('stock exporters export without a warning', () => {
  it('OTLP/HTTP JSON', async () => {
    const r = await exportSpans(new JsonExporter({ url: `${url}/v1/traces`, headers }), 3);
    expect(r.map((x) => x.code)).toEqual([SUCCESS, SUCCESS, SUCCESS]);
    expect(received).toHaveLength(3);
    expect(diagnostics).toEqual([]);
  });

  it('OTLP/HTTP protobuf, gzip', async () => {
    const r = await exportSpans(
      new ProtoExporter({ url: `${url}/v1/traces`, headers, compression: 'gzip' as never }),
      3,
    );
    expect(r.every((x) => x.code === SUCCESS)).toBe(true);
    expect(received).toHaveLength(3);
    expect(diagnostics).toEqual([]);
  });

  it('OTLP/gRPC, gzip', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${ADMIN_KEY}`);
    const r = await exportSpans(
      new GrpcExporter({
        url: `http://127.0.0.1:${grpcServer.port}`,
        compression: 'gzip' as never,
        metadata,
      }),
      3,
    );
    expect(r.every((x) => x.code === SUCCESS)).toBe(true);
    expect(received).toHaveLength(3);
    expect(diagnostics).toEqual([]);
  });
});

describe('OTLP/gRPC by hand', () => {
  const Client = grpc.makeGenericClientConstructor(TRACE_SERVICE, 'TraceService');
  const call = (body: Buffer, key = ADMIN_KEY) =>
    new Promise<{ err: grpc.ServiceError | null; res?: Buffer }>((resolve) => {
      const client = new Client(`127.0.0.1:${grpcServer.port}`, grpc.credentials.createInsecure());
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${key}`);
      (client as unknown as Record<string, (...a: unknown[]) => void>).Export(
        body,
        md,
        (err: grpc.ServiceError | null, res?: Buffer) => {
          client.close();
          resolve({ err, res });
        },
      );
    });

  it('reports dropped spans in partial_success and refuses garbage and strangers', async () => {
    const doc = otlpDoc([otlpSpan('0000000000000001'), otlpSpan('0000000000000002', 1000, 2 * 86_400_000)]);
    const ok = await call(Buffer.from(encodeOtlpProto(doc)));
    expect(ok.err).toBeNull();
    expect(decodeOtlpResponse(ok.res!).partialSuccess?.rejectedSpans).toBe(1);
    expect(received).toEqual(['0000000000000001']);
    expect((await call(Buffer.from('not protobuf at all'))).err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await call(Buffer.from(encodeOtlpProto(doc)), 'wrong-key-123')).err?.code).toBe(
      grpc.status.UNAUTHENTICATED,
    );
  });
});
