import * as grpc from '@grpc/grpc-js';
import { encodeOtlpResponse } from '../formats/otlp-proto.js';
import { InputError } from '../formats/types.js';
import { partialOf, PushOverloadedError, takePush, type PushIntake } from './push-intake.js';

/**
 * OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`, which a Collector's default
 * `otlp` exporter and the SDKs' gRPC exporters speak (port 4317 by convention). Messages pass as bytes and
 * are read by the same protobuf reader as OTLP/HTTP; gzip message compression is undone by grpc-js.
 * A body that cannot be read is INVALID_ARGUMENT (not retried); a full buffer is UNAVAILABLE (retried with
 * backoff); dropped spans are reported in the response's partial_success.
 */
const bytes = (b: Buffer) => b;
export const TRACE_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  },
};

export interface OtlpGrpcServer {
  port: number;
  close(): Promise<void>;
}

export interface OtlpGrpcOptions {
  host: string;
  port: number;
  /** Whether the call's `authorization` metadata may push (the API's admin keys); absent: anyone may. */
  authorized?: (authorization: string | undefined) => boolean;
  /** Where a failure that is not the sender's fault is said. */
  log?: (msg: string) => void;
  maxMessageBytes?: number;
}

export async function startOtlpGrpc(intake: PushIntake, o: OtlpGrpcOptions): Promise<OtlpGrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': o.maxMessageBytes ?? 16 * 1024 * 1024,
  });
  const exportCall: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const auth = call.metadata.get('authorization')[0];
    if (o.authorized && !o.authorized(typeof auth === 'string' ? auth : undefined)) {
      callback({
        code: grpc.status.UNAUTHENTICATED,
        details: 'an admin API key is needed (authorization: Bearer KEY)',
      });
      return;
    }
    takePush(intake, 'otlp-grpc', call.request, 'otlp-proto').then(
      (report) => callback(null, Buffer.from(encodeOtlpResponse(partialOf(report)))),
      (err: unknown) => {
        const code =
          err instanceof InputError
            ? grpc.status.INVALID_ARGUMENT
            : err instanceof PushOverloadedError
              ? grpc.status.UNAVAILABLE
              : grpc.status.INTERNAL;
        if (code === grpc.status.INTERNAL)
          o.log?.(`OTLP/gRPC Export failed: ${(err as Error).stack ?? String(err)}`);
        callback({ code, details: err instanceof Error ? err.message : String(err) });
      },
    );
  };
  server.addService(TRACE_SERVICE, { Export: exportCall });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${o.host}:${o.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
