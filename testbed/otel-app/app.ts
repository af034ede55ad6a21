/**
 * Starts the testbed app: seven services, each its own Node process with the OpenTelemetry SDK loaded
 * (telemetry.ts) and exporting to Tracehound, plus the external card gateway (not instrumented). A blocked
 * event loop in one of them blocks only that one.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { freePort } from '../../src/app/private-redis.js';
import { spawnNode, type Child } from './child.js';
import type { Fault, Injected, Stall } from './faults.js';

export const SERVICES = [
  'frontend',
  'checkout',
  'cart',
  'catalog',
  'currency',
  'payment',
  'shipping',
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Each service's exporter: a mix of the three stock ones, as a real estate of services has. */
const EXPORTERS: Record<ServiceName, 'otlp-proto' | 'otlp-json' | 'zipkin'> = {
  frontend: 'otlp-proto',
  checkout: 'otlp-proto',
  payment: 'otlp-proto',
  cart: 'otlp-json',
  currency: 'otlp-json',
  catalog: 'zipkin',
  shipping: 'zipkin',
};

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

export interface OtelApp {
  /** The frontend's base URL: where traffic goes. */
  url: string;
  /** Switches one service's fault (`{ kind: 'none' }` clears it). */
  setFault(service: ServiceName, fault: Fault): Promise<void>;
  /** What every service's faults did to which trace, so far. */
  injected(): Promise<Injected[]>;
  /** When each service's process could not run, outside its own injected fault, so far. */
  stalls(): Promise<Stall[]>;
  /** The log file of each process. */
  logs(): string[];
  close(): Promise<void>;
}

async function adminCall(url: string, init?: { method: string; body: string }): Promise<unknown> {
  const res = await fetch(url, init && { ...init, headers: { 'content-type': 'application/json' } });
  const body = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function startApp(o: {
  /** Tracehound's base URL: OTLP goes to /v1/traces, Zipkin to /api/v2/spans. */
  tracehound: string;
  logDir: string;
  /** OTEL_BSP_SCHEDULE_DELAY, ms (the SDK's default is 5000). */
  batchDelayMs?: number;
}): Promise<OtelApp> {
  const ports = Object.fromEntries(
    await Promise.all(SERVICES.map(async (s) => [s, await freePort()])),
  ) as Record<ServiceName, number>;
  const urls = Object.fromEntries(
    SERVICES.map((s) => [`${s.toUpperCase()}_URL`, `http://127.0.0.1:${ports[s]}`]),
  );
  const children: Child[] = [];
  try {
    const gatewayPort = await freePort();
    const base = { ...process.env, NODE_OPTIONS: '' };
    children.push(
      await spawnNode('gateway', ['--import', 'tsx', join(HERE, 'services', 'gateway.ts')], {
        env: { ...base, PORT: String(gatewayPort) },
        cwd: ROOT,
        logDir: o.logDir,
        ready: /^ready /m,
      }),
    );
    const started = await Promise.all(
      SERVICES.map((s) => {
        const exporter = EXPORTERS[s];
        return spawnNode(
          s,
          ['--import', 'tsx', '--import', join(HERE, 'telemetry.ts'), join(HERE, 'services', `${s}.ts`)],
          {
            env: {
              ...base,
              ...urls,
              GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
              PORT: String(ports[s]),
              OTEL_SERVICE_NAME: s,
              OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=testbed',
              OTEL_TRACES_EXPORTER: exporter === 'zipkin' ? 'zipkin' : 'otlp',
              OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: exporter === 'otlp-json' ? 'http/json' : 'http/protobuf',
              OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${o.tracehound}/v1/traces`,
              OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${o.tracehound}/api/v2/spans`,
              ...(o.batchDelayMs ? { OTEL_BSP_SCHEDULE_DELAY: String(o.batchDelayMs) } : {}),
            },
            cwd: ROOT,
            logDir: o.logDir,
            ready: /^ready /m,
          },
        );
      }),
    );
    children.push(...started);
  } catch (err) {
    await Promise.all(children.map((c) => c.stop()));
    throw err;
  }
  const admin = (s: ServiceName) => `${urls[`${s.toUpperCase()}_URL`]}/admin`;
  return {
    url: urls.FRONTEND_URL,
    async setFault(service, fault) {
      await adminCall(`${admin(service)}/fault`, { method: 'POST', body: JSON.stringify(fault) });
    },
    async injected() {
      const all = await Promise.all(
        SERVICES.map((s) => adminCall(`${admin(s)}/injected`) as Promise<Injected[]>),
      );
      return all.flat();
    },
    async stalls() {
      const all = await Promise.all(SERVICES.map((s) => adminCall(`${admin(s)}/stalls`) as Promise<Stall[]>));
      return all.flat();
    },
    logs: () => children.map((c) => c.logFile),
    async close() {
      await Promise.all(children.map((c) => c.stop()));
    },
  };
}
