import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { loadConfig } from '../../src/config.js';
import { startService, type Role, type RunningService } from '../../src/app/start.js';

describe('readiness of a running service', () => {
  let redis: TestRedis;
  const running: RunningService[] = [];
  const start = async (roles: Role[]) => {
    const config = { REDIS_URL: redis.url, HOST: '127.0.0.1', PORT: '0' };
    const s = await startService(loadConfig(config), new Set(roles), () => {});
    running.push(s);
    return s;
  };
  const ready = async (s: RunningService) => {
    const res = await fetch(`${s.url}/readyz`);
    return { code: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    redis = await startRedis({ appendonly: false });
  });
  afterAll(async () => {
    for (const s of running) await s.close();
    await redis.close();
  });

  it('is ready with no model at all once Redis answers and the workers run, and not once they stop', async () => {
    const s = await start(['api', 'worker']);
    expect(await ready(s)).toEqual({
      code: 200,
      body: { status: 'ok', redis: true, workers: true, models: false },
    });
    await s.jobs.close();
    expect(await ready(s)).toEqual({
      code: 503,
      body: { status: 'unavailable', redis: true, workers: false, models: false },
    });
  });

  it('an API-only process has no workers to wait for', async () => {
    const s = await start(['api']);
    expect((await ready(s)).body).toEqual({ status: 'ok', redis: true, workers: true, models: false });
  });
});
