import type { Config } from '../config.js';
import { buildApi } from '../api/server.js';
import { keyMatcher, type Role } from '../api/auth.js';
import { startOtlpGrpc } from '../api/otlp-grpc.js';
import type { PushIntake } from '../api/push-intake.js';

/**
 * The conventional OTLP ports beside the API: gRPC on 4317 (what a Collector's default `otlp` exporter
 * sends) and HTTP on 4318 (an API with only /v1/traces, /api/v2/spans and health). They are extras: when a
 * port is taken the service says so in one line and keeps serving OTLP/HTTP on its main port.
 */
export async function otlpListeners(
  c: Config,
  intake: PushIntake,
  apiKeys: ReadonlyMap<string, Role>,
  log: (msg: string) => void,
): Promise<Array<{ close(): Promise<void> }>> {
  const out: Array<{ close(): Promise<void> }> = [];
  if (c.TRACEHOUND_OTLP_GRPC_PORT > 0) {
    try {
      const match = keyMatcher(apiKeys);
      const g = await startOtlpGrpc(intake, {
        host: c.HOST,
        port: c.TRACEHOUND_OTLP_GRPC_PORT,
        authorized:
          apiKeys.size === 0 ? undefined : (h) => match(h?.replace(/^Bearer\s+/i, '') ?? '') === 'admin',
        log,
      });
      out.push(g);
      log(`OTLP/gRPC listening on ${c.HOST}:${g.port}`);
    } catch (err) {
      log(`OTLP/gRPC not started on port ${c.TRACEHOUND_OTLP_GRPC_PORT}: ${(err as Error).message}`);
    }
  }
  if (c.TRACEHOUND_OTLP_HTTP_PORT > 0 && c.TRACEHOUND_OTLP_HTTP_PORT !== c.PORT) {
    const http = await buildApi(
      {
        ingest: intake.ingest,
        pushKeep: intake.keep,
        pushOverloaded: intake.overloaded,
        health: async () => ({ redis: true, models: true, workers: true }),
        metrics: async () => '',
        apiKeys,
      },
      { rateLimit: false },
    );
    try {
      log(
        `OTLP/HTTP also listening on ${await http.listen({ host: c.HOST, port: c.TRACEHOUND_OTLP_HTTP_PORT })}`,
      );
      out.push(http);
    } catch (err) {
      await http.close();
      log(`OTLP/HTTP not started on port ${c.TRACEHOUND_OTLP_HTTP_PORT}: ${(err as Error).message}`);
    }
  }
  return out;
}
