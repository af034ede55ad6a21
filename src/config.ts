import { readFileSync } from 'node:fs';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { parseApiKeys } from './api/auth.js';
import { DEFAULT_SESSION_ATTRIBUTES } from './trace/session.js';
import { ConfigError } from './config-error.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const seconds = (def: number) => z.coerce.number().positive().default(def);

/** A URL with the scheme spelled out: `localhost:16686` parses as a URL of scheme "localhost:". */
const urlWith = (schemes: string[]) =>
  z.string().refine((v) => schemes.some((s) => v.toLowerCase().startsWith(`${s}://`)) && URL.canParse(v), {
    message: `expected a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`,
  });
const httpUrl = urlWith(['http', 'https']);

/** Checked here, at start, with the parser BullMQ's scheduler uses: a bad cron otherwise fails later. */
const cron = z.string().refine(
  (v) => {
    try {
      CronExpressionParser.parse(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a cron expression of 5 or 6 fields, e.g. "0 3 * * *"' },
);

const headerList = z.string().refine(
  (v) => {
    try {
      parseHeaders(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected "Name: value; Name2: value2"' },
);

/** `key:read,key:admin`: checked at start, so a key without its role stops the service instead of being guessed. */
const apiKeys = z.string().superRefine((v, ctx) => {
  try {
    parseApiKeys(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^TRACEHOUND_API_KEYS /, '') });
  }
});

/** `a,b,c`: span attribute names, in order of preference. */
const attributeList = z
  .string()
  .regex(
    /^\s*[^\s,]+\s*(,\s*[^\s,]+\s*)*$/,
    'expected attribute names separated by commas, e.g. "session.id,enduser.id"',
  )
  .transform((v) => [...new Set(v.split(',').map((a) => a.trim()))]);

/**
 * The service's configuration, from the environment (and an optional JSON file named by TRACEHOUND_CONFIG
 * whose keys are the same variable names; the environment wins). Validated once at start: a bad value
 * stops the service with a message naming the variable.
 */
export const ConfigSchema = z.object({
  REDIS_URL: urlWith(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  /** Seed nodes of a Redis Cluster (`host:port,...`); REDIS_URL then only gives credentials and TLS. */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(
      /^\s*(\[[^\]]+\]|[^:,\s]+):\d{1,5}\s*(,\s*(\[[^\]]+\]|[^:,\s]+):\d{1,5}\s*)*$/,
      'expected host:port,host:port',
    )
    .optional(),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  TRACEHOUND_JAEGER_URL: httpUrl.optional(),
  TRACEHOUND_JAEGER_API: z.enum(['v1', 'v3']).default('v1'),
  TRACEHOUND_JAEGER_UI_URL: httpUrl.optional(),
  TRACEHOUND_JAEGER_HEADERS: headerList.optional(),
  TRACEHOUND_ZIPKIN_URL: httpUrl.optional(),
  TRACEHOUND_ZIPKIN_UI_URL: httpUrl.optional(),
  TRACEHOUND_ZIPKIN_HEADERS: headerList.optional(),
  TRACEHOUND_TLS_CA_FILE: z.string().optional(),
  TRACEHOUND_TLS_INSECURE: bool.default(false),
  TRACEHOUND_POLL_INTERVAL: seconds(30),
  TRACEHOUND_POLL_OVERLAP: seconds(60),
  TRACEHOUND_POLL_SETTLE: seconds(30),
  TRACEHOUND_POLL_LIMIT: z.coerce.number().int().positive().default(500),
  TRACEHOUND_INITIAL_LOOKBACK: seconds(3600),
  TRACEHOUND_MIN_TRAINING_TRACES: z.coerce.number().int().positive().default(500),
  TRACEHOUND_RETRAIN_CRON: cron.default('0 3 * * *'),
  TRACEHOUND_TARGET_FPR: z.coerce.number().gt(0).lt(1).default(0.01),
  TRACEHOUND_API_KEYS: apiKeys.optional(),
  TRACEHOUND_WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  /** How often the incident job runs, and how long after its end a minute is judged. */
  TRACEHOUND_INCIDENT_INTERVAL: seconds(60),
  TRACEHOUND_INCIDENT_DELAY: seconds(120),
  TRACEHOUND_RETENTION_DAYS: z.coerce.number().positive().default(7),
  TRACEHOUND_RETENTION_MAX: z.coerce.number().int().positive().default(100_000),
  /** Per-minute aggregates (topology, quality, aggregate signals): hours kept. */
  TRACEHOUND_AGGREGATE_RETENTION_HOURS: z.coerce.number().positive().default(48),
  /** Sampling advice: traces per second each service may keep (its operations together). */
  TRACEHOUND_SAMPLING_BUDGET: z.coerce.number().positive().default(10),
  /** Pushed traces waiting to settle, at most; beyond it pushes get 503 with Retry-After. */
  TRACEHOUND_PUSH_MAX_PENDING: z.coerce.number().int().positive().default(200_000),
  /** OTLP/gRPC listener (TraceService/Export) and a second OTLP/HTTP listener on the conventional ports; 0 = off. */
  TRACEHOUND_OTLP_GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(4317),
  TRACEHOUND_OTLP_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(4318),
  /** How long a starting process waits for Redis before it exits non-zero, s. */
  TRACEHOUND_REDIS_WAIT: seconds(30),
  TRACEHOUND_MODELS_DIR: z.string().optional(),
  /** Span attributes naming a trace's session; the first one a trace carries groups it (see trace/session.ts). */
  TRACEHOUND_SESSION_ATTRIBUTES: attributeList.default([...DEFAULT_SESSION_ATTRIBUTES]),
  TRACEHOUND_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});
export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let fromFile: Record<string, unknown> = {};
  if (env.TRACEHOUND_CONFIG) {
    try {
      fromFile = JSON.parse(readFileSync(env.TRACEHOUND_CONFIG, 'utf8'));
    } catch (err) {
      throw new ConfigError(`TRACEHOUND_CONFIG=${env.TRACEHOUND_CONFIG}: ${(err as Error).message}`);
    }
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const key of Object.keys(ConfigSchema.shape))
    if (env[key] !== undefined && env[key] !== '') merged[key] = env[key];
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    // One line, however many settings are bad: it is what a container log shows first. Keys are not echoed.
    const each = parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      const got = name.endsWith('_KEYS') ? '' : ` (got ${JSON.stringify(merged[name])})`;
      return `${name}: ${i.message}${got}`;
    });
    throw new ConfigError(`invalid configuration: ${each.join('; ')}`);
  }
  return parsed.data;
}

/** "Name: value; Name2: value2" header lists from the environment. */
export function parseHeaders(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!spec) return out;
  for (const part of spec.split(';')) {
    const i = part.indexOf(':');
    if (i <= 0) throw new ConfigError(`header "${part.trim()}" is not "Name: value"`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}
