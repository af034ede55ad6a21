/**
 * The live simulator server: a clock-driven stream of simulated traces behind the Jaeger (v1 and api_v3) and
 * Zipkin v2 query APIs, optionally pushed as OTLP JSON. This is the edge: it owns the real clock and timers.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { LiveSim, type LiveTruth } from './live.js';
import { OtlpPusher, type PushStats } from './push.js';
import { jaegerRoutes } from './routes-jaeger.js';
import { zipkinRoutes } from './routes-zipkin.js';
import type { Scenario } from './scenario.js';
import { getScenario } from './scenarios.js';

export interface SimServerOptions {
  scenario: string | Scenario;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Simulated seconds per real second. */
  speed?: number;
  seed?: number;
  /** Simulated seconds generated before the start, so the first query finds traces. */
  backfillS?: number;
  maxTraces?: number;
  /** OTLP/HTTP JSON endpoint to push traces to as they appear. */
  push?: string;
  /** How often the stream advances on its own (for pushing), ms. */
  tickMs?: number;
  /** Real clock, µs; tests may pass their own. */
  now?: () => number;
  logger?: boolean;
}

export interface SimServer {
  url: string;
  app: FastifyInstance;
  live: LiveSim;
  truth(): LiveTruth;
  pushStats(): PushStats | undefined;
  close(): Promise<void>;
}

export async function startSimServer(opts: SimServerOptions): Promise<SimServer> {
  const scenario = typeof opts.scenario === 'string' ? getScenario(opts.scenario) : opts.scenario;
  const now = opts.now ?? (() => Date.now() * 1000);
  const live = new LiveSim(scenario, {
    seed: opts.seed,
    speed: opts.speed,
    now,
    backfillS: opts.backfillS,
    maxTraces: opts.maxTraces,
  });
  const pusher = opts.push
    ? new OtlpPusher(opts.push, { onError: (m) => app.log.warn(`push failed: ${m}`) })
    : undefined;
  const app = Fastify({ logger: opts.logger ?? false });
  await app.register(jaegerRoutes(live));
  await app.register(zipkinRoutes(live));
  app.get('/sim/truth', async () => {
    live.advance();
    return live.truth();
  });
  app.get('/sim/status', async () => {
    live.advance();
    return {
      scenario: scenario.name,
      speed: live.speed,
      simNow: live.simNow(),
      traces: live.size,
      generated: live.sim.generated,
      evicted: live.evicted,
      push: pusher?.stats,
    };
  });

  if (pusher) live.onPublish = (ready) => pusher.push(ready.map((t) => t.spans));
  live.advance();
  const timer = setInterval(() => live.advance(), opts.tickMs ?? 250);
  timer.unref();

  const address = await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  return {
    url: address,
    app,
    live,
    truth: () => {
      live.advance();
      return live.truth();
    },
    pushStats: () => pusher?.stats,
    close: async () => {
      clearInterval(timer);
      await app.close();
      await pusher?.flush();
    },
  };
}
