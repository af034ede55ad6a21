import type { RedisClient } from '../store/redis-client.js';

export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until Redis answers PING, for at most `waitS`. Says so in one line when the first attempt fails
 * (naming Redis and where), not once per reconnect; past the deadline it throws, so the process exits
 * non-zero and the orchestrator restarts it, instead of hanging without serving.
 */
export async function waitForRedis(
  redis: Pick<RedisClient, 'ping'>,
  where: string,
  waitS: number,
  log: (msg: string) => void,
  now: () => number = Date.now,
): Promise<void> {
  const deadline = now() + waitS * 1000;
  let pause = 250;
  let said = false;
  for (;;) {
    const attempt = Math.min(2000, Math.max(1, deadline - now()));
    let timer: NodeJS.Timeout | undefined;
    const error = await Promise.race([
      redis.ping().then(
        () => undefined,
        (err: Error) => err.message,
      ),
      new Promise<string>((r) => (timer = setTimeout(() => r('no answer'), attempt))),
    ]);
    clearTimeout(timer);
    if (error === undefined) {
      if (said) log(`Redis at ${where} is reachable`);
      return;
    }
    if (now() >= deadline)
      throw new RedisUnreachableError(
        `Redis at ${where} is unreachable after ${waitS} s (${error}); check REDIS_URL, or raise TRACEHOUND_REDIS_WAIT`,
      );
    if (!said)
      log(`Redis at ${where} is unreachable (${error}); waiting up to ${waitS} s (TRACEHOUND_REDIS_WAIT)`);
    said = true;
    await sleep(Math.min(pause, Math.max(0, deadline - now())));
    pause = Math.min(pause * 2, 2000);
  }
}
