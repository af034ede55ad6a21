/**
 * A configuration the service cannot start with. Its own module so that the CLI can recognize it without
 * loading the configuration's schema (zod and cron-parser cost every command ~70 ms of start-up).
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
