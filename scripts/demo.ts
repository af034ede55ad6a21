/**
 * npm run demo: the service against the built-in simulated shop. The simulator serves the Jaeger query API
 * with faults on a timer; Tracehound polls it, scores every trace, keeps the anomalies in Redis, serves them
 * over its HTTP API, groups them into incidents and posts both to a webhook receiver that logs what it gets.
 *
 *   npm run demo [-- --duration 150 --port 8080]
 *
 * Redis: a private redis-server in a temp dir, removed at the end; REDIS_URL to use another Redis instead.
 * To learn what normal looks like quickly, the demo trains on ten simulated minutes of normal traffic first
 * (a real deployment trains each endpoint from its own traffic once it has TRACEHOUND_MIN_TRAINING_TRACES).
 * `npm run demo:offline` runs the same story on files, without Redis.
 */
import { createServer } from 'node:http';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { generate, startSimServer } from '../src/sim/index.js';
import { normalizeTrace } from '../src/trace/normalize.js';
import { trainModelSet } from '../src/scoring/train.js';
import { ModelRegistry } from '../src/registry/redis-registry.js';
import { loadConfig } from '../src/config.js';
import { startService } from '../src/app/start.js';
import { DEFAULT_UI_DIR } from '../src/api/routes/ui.js';
import { startRedis, type PrivateRedis } from '../src/app/private-redis.js';
import type { Anomaly } from '../src/store/anomaly-record.js';
import type { Incident } from '../src/incidents/incident.js';
import { byRank, surpriseOf } from '../src/scoring/rank.js';
import { endpointKeyOf } from '../src/trace/endpoint-key.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const durationS = arg('duration', 150);
const port = arg('port', 8080);
const say = (m: string) => process.stdout.write(`${m}\n`);

/** Whether a Redis answers at `url`. */
async function reachable(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  probe.on('error', () => {});
  const ok = await probe
    .connect()
    .then(() => probe.ping())
    .then(() => true)
    .catch(() => false);
  probe.disconnect();
  return ok;
}

/**
 * A private redis-server unless REDIS_URL names one: the demo's anomalies, incidents and models are
 * throw-away, and in a shared Redis a second run would start with the first run's open incidents (seen: a
 * run resolving three incidents a run before had left open). Without redis-server installed it falls back
 * to the default local Redis when one answers.
 */
async function redisUrl(): Promise<{ url: string; own?: PrivateRedis }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  try {
    const own = await startRedis({ appendonly: false });
    say('started a private redis-server for the demo (REDIS_URL=... uses another)');
    return { url: own.url, own };
  } catch (err) {
    const fallback = 'redis://127.0.0.1:6379';
    if (!(await reachable(fallback))) throw err;
    say(`${(err as Error).message}; using the Redis at ${fallback}, with any earlier demo's state in it`);
    return { url: fallback };
  }
}

const seed = Date.now() % 100_000; // fresh trace ids each run, so an earlier run's state does not hide them
const { url, own } = await redisUrl();
say(`Redis: ${url}`);

say('learning ten simulated minutes of normal shop traffic...');
const normal = generate('shop-normal', { seed, durationS: 600 });
const normalTraces = normal.traces.map((s) => normalizeTrace(s[0].traceId, s));
const model = await trainModelSet(normalTraces, { seed: 1 });
const redis = new Redis(url);
const registry = new ModelRegistry(redis);
for (const endpoint of new Set(normalTraces.map((t) => endpointKeyOf(t))))
  await registry.activate(endpoint, await registry.publish(endpoint, model, 'demo bootstrap'));
model.dispose();

const logFile = join(mkdtempSync(join(tmpdir(), 'tracehound-demo-')), 'webhooks.log');
let deliveries = 0;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    deliveries++;
    appendFileSync(logFile, body + '\n');
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const addr = receiver.address();
const hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;

// Five minutes of past traffic give the incident signals a history to judge the first fault against.
const sim = await startSimServer({ scenario: 'demo', port: 0, seed, backfillS: 300 });
say(
  `simulated shop serving the Jaeger API at ${sim.url} (faults on a 10-minute cycle: latency, errors, CPU, code defect, spike, network)`,
);
// The web UI is built by `npm run build`; the demo builds it itself when it is missing or older than its
// source (a pull that added a screen), so `/` always answers with the UI beside it.
const uiIndex = join(DEFAULT_UI_DIR, 'index.html');
const uiSrc = new URL('../ui/', import.meta.url).pathname;
const newestSource = Math.max(
  ...readdirSync(uiSrc, { recursive: true, encoding: 'utf8' }).map((f) => statSync(join(uiSrc, f)).mtimeMs),
);
if (!existsSync(uiIndex) || statSync(uiIndex).mtimeMs < newestSource) {
  say('building the web UI ...');
  const { build } = await import('vite');
  await build({ configFile: new URL('../ui/vite.config.ts', import.meta.url).pathname, logLevel: 'warn' });
}
const service = await startService(
  loadConfig({
    ...process.env,
    REDIS_URL: url,
    HOST: '127.0.0.1',
    PORT: String(port),
    TRACEHOUND_JAEGER_URL: sim.url,
    TRACEHOUND_POLL_INTERVAL: '5',
    TRACEHOUND_POLL_SETTLE: '5',
    TRACEHOUND_POLL_LIMIT: '1000',
    TRACEHOUND_INITIAL_LOOKBACK: '300',
    TRACEHOUND_INCIDENT_INTERVAL: '10',
    TRACEHOUND_INCIDENT_DELAY: '20',
    TRACEHOUND_WEBHOOK_ALLOW_PRIVATE: 'true',
    TRACEHOUND_API_KEYS: '',
    // The demo narrates what happens; the API's request log stays for whoever asks for it.
    TRACEHOUND_LOG_LEVEL: process.env.TRACEHOUND_LOG_LEVEL ?? 'warn',
  }),
  new Set(['api', 'worker', 'scheduler'] as const),
  () => {},
);
await service.api!.inject({ method: 'POST', url: '/v1/webhooks', payload: { url: hookUrl, format: 'json' } });
say(
  `Tracehound web UI at ${service.url}/ (API: ${service.url}/v1/anomalies?order=score, ${service.url}/docs)`,
);
say(`webhook deliveries are logged to ${logFile}\n`);

const started = new Date().toISOString();
const seen = new Set<string>();
const incidentsSeen = new Set<string>();
for (let t = 0; t < durationS; t += 10) {
  await new Promise((r) => setTimeout(r, 10_000));
  const r = await service.api!.inject({ method: 'GET', url: `/v1/anomalies?order=time&limit=200` });
  const fresh = (r.json() as { items: Anomaly[] }).items.filter(
    (a) => a.detectedAt >= started && !seen.has(a.id),
  );
  fresh.forEach((a) => seen.add(a.id));
  const active = sim
    .truth()
    .faults.filter((f) => f.start <= Date.now() * 1000 && f.end >= Date.now() * 1000 - 10e6);
  say(
    `+${String(t + 10).padStart(3)} s  ${String(fresh.length).padStart(4)} new anomalies, ${seen.size} in all, ` +
      `${deliveries} webhooks; faults now: ${active.map((f) => `${f.type} on ${f.rootCause.service}`).join(', ') || 'none'}`,
  );
  const inc = await service.api!.inject({ method: 'GET', url: `/v1/incidents?limit=20` });
  for (const i of (inc.json() as { items: Incident[] }).items) {
    const key = `${i.id}#${i.status}`;
    if (incidentsSeen.has(key)) continue;
    incidentsSeen.add(key);
    const c = i.rootCauses[0];
    say(
      `         incident ${i.id} ${i.status}: ${i.traceCount} traces, root cause ${c ? `${c.service} (${c.evidence})` : 'unknown'}`.slice(
        0,
        220,
      ),
    );
  }
  for (const a of fresh.sort(byRank).slice(0, 3)) {
    const c = a.rootCauses[0];
    say(
      `         ${surpriseOf(a).toFixed(1).padStart(5)} ${a.service}:${a.operation}  ${c ? `${c.kind} ${c.service}: ${c.evidence}` : ''}`.slice(
        0,
        200,
      ),
    );
  }
}

await service.close();
await sim.close();
receiver.close();
redis.disconnect();
await own?.close();
say(
  `\n${seen.size} anomalies found, ${new Set([...incidentsSeen].map((k) => k.split('#')[0])).size} incidents, ${deliveries} webhooks delivered in ${durationS} s.`,
);
