import { loadConfig, type Config } from '../../src/config.js';

/**
 * `serve` as the end-to-end tests run it: on their private Redis, on a free port, polling the simulator's
 * Jaeger API every second with a settle of one second, delivering webhooks to local receivers, logging only
 * warnings. `env` adds or overrides settings (lookback, incident timing, API keys).
 */
export function pollingConfig(redisUrl: string, simUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL: redisUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    TRACEHOUND_JAEGER_URL: simUrl,
    TRACEHOUND_POLL_INTERVAL: '1',
    TRACEHOUND_POLL_SETTLE: '1',
    TRACEHOUND_POLL_LIMIT: '1000',
    TRACEHOUND_WEBHOOK_ALLOW_PRIVATE: 'true',
    TRACEHOUND_LOG_LEVEL: 'warn',
    ...env,
  });
}
