import { readFileSync } from 'node:fs';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const seconds = (def: number) => z.coerce.number().positive().default(def);

/**
 * The service's configuration, from the environment (and an optional JSON file named by TRACEHOUND_CONFIG
 * whose keys are the same variable names; the environment wins). Validated once at start: a bad value
 * stops the service with a message naming the variable.
 */
export const ConfigSchema = z.object({
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
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
  TRACEHOUND_JAEGER_URL: z.string().url().optional(),
  TRACEHOUND_JAEGER_API: z.enum(['v1', 'v3']).default('v1'),
  TRACEHOUND_JAEGER_UI_URL: z.string().url().optional(),
  TRACEHOUND_JAEGER_HEADERS: z.string().optional(),
  TRACEHOUND_ZIPKIN_URL: z.string().url().optional(),
  TRACEHOUND_ZIPKIN_UI_URL: z.string().url().optional(),
  TRACEHOUND_ZIPKIN_HEADERS: z.string().optional(),
  TRACEHOUND_TLS_CA_FILE: z.string().optional(),
  TRACEHOUND_TLS_INSECURE: bool.default(false),
  TRACEHOUND_POLL_INTERVAL: seconds(30),
  TRACEHOUND_POLL_OVERLAP: seconds(60),
  TRACEHOUND_POLL_SETTLE: seconds(30),
  TRACEHOUND_POLL_LIMIT: z.coerce.number().int().positive().default(500),
  TRACEHOUND_INITIAL_LOOKBACK: seconds(3600),
  TRACEHOUND_MIN_TRAINING_TRACES: z.coerce.number().int().positive().default(500),
  TRACEHOUND_RETRAIN_CRON: z.string().default('0 3 * * *'),
  TRACEHOUND_TARGET_FPR: z.coerce.number().gt(0).lt(1).default(0.01),
  TRACEHOUND_API_KEYS: z.string().optional(),
  TRACEHOUND_WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  /** How often the incident job runs, and how long after its end a minute is judged. */
  TRACEHOUND_INCIDENT_INTERVAL: seconds(60),
  TRACEHOUND_INCIDENT_DELAY: seconds(120),
  TRACEHOUND_RETENTION_DAYS: z.coerce.number().positive().default(7),
  TRACEHOUND_RETENTION_MAX: z.coerce.number().int().positive().default(100_000),
  /** Per-minute aggregates (topology, quality, aggregate signals): hours kept. */
  TRACEHOUND_AGGREGATE_RETENTION_HOURS: z.coerce.number().positive().default(48),
  TRACEHOUND_MODELS_DIR: z.string().optional(),
  TRACEHOUND_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});
export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

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
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(merged[String(i.path[0])])})`,
    );
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
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
