/**
 * Tracehound as a user runs it: `tracehound serve` (through tsx, as `npm run dev -- serve` does) in its
 * own process, configured from the environment, on a private redis-server.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { startRedis, type PrivateRedis } from '../../src/app/private-redis.js';
import { spawnNode, tail, type Child } from './child.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunningTracehound {
  url: string;
  logFile: string;
  close(): Promise<void>;
}

/** `env`: the TRACEHOUND_* settings of the run (REDIS_URL, HOST and PORT are set here). */
export async function startTracehound(o: {
  env: Record<string, string>;
  port: number;
  logDir: string;
}): Promise<RunningTracehound> {
  const redis: PrivateRedis = await startRedis({ appendonly: false });
  let child: Child | undefined;
  try {
    const port = o.port;
    child = await spawnNode('tracehound', ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'serve'], {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        ...o.env,
        REDIS_URL: redis.url,
        HOST: '127.0.0.1',
        PORT: String(port),
      },
      cwd: ROOT,
      logDir: o.logDir,
      // The observer must not slow what it observes: on a shared 2-core machine Tracehound's bursts (training,
      // judging a minute) delayed the services' timers, and a leaf of sub-millisecond queries "slowed down"
      // in fault-free minutes. In a deployment it runs on other cores or hosts; a lower priority stands in.
      nice: 10,
    });
    const url = `http://127.0.0.1:${port}`;
    // /healthz, not /readyz: readiness waits for a model, and models train on the spans this run pushes.
    const until = Date.now() + 300_000;
    for (;;) {
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (child.proc.exitCode !== null || Date.now() > until)
        throw new Error(`tracehound serve did not become ready; its log ends:\n${tail(child.logFile)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const c = child;
    return {
      url,
      logFile: c.logFile,
      async close() {
        await c.stop();
        await redis.close();
      },
    };
  } catch (err) {
    await child?.stop();
    await redis.close();
    throw err;
  }
}
