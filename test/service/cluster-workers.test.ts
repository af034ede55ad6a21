/**
 * Past one machine: a Redis Cluster of three masters, an OTLP receiver (the API role, in this process, as a
 * Collector's loadbalancing exporter would reach it) and three worker processes. The simulator's stream is
 * pushed as OTLP/HTTP protobuf all along; one worker is killed with SIGKILL while it holds a running score
 * job. Afterwards the store holds exactly the anomalies that scoring the pushed traces directly finds, each
 * once, every pushed trace is counted scored once, and the killed worker's job was handed back and finished.
 */
import { hostname } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { TRAFFIC_KEY } from '../../src/store/aggregates.js';
import { converge, expectEachStoredOnce, FAST, sleep, World } from './reliability-harness.js';
import { until } from '../helpers/until.js';
import { trainShopModel } from '../helpers/models.js';

/** A shorter job lock than FAST's: the killed worker's job comes back within 8 s. */
const TUNING = { ...FAST, jobLockMs: 4000 };

let model: ModelSet;
let world: World | undefined;

beforeAll(async () => {
  model = await trainShopModel();
}, 60_000);

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Traces counted scored, over every endpoint (each trace counts once however often it is scored). */
async function scoredTraces(w: World): Promise<number> {
  const h = await w.admin.hgetall(TRAFFIC_KEY);
  return Object.entries(h).reduce((n, [f, v]) => (f.endsWith('|scored') ? n + Number(v) : n), 0);
}

it('three workers on a Redis Cluster, one killed with SIGKILL while scoring: nothing lost, nothing twice', async () => {
  const w = (world = new World(model, {
    seed: 31,
    backfillS: 5,
    rate: 25,
    redis: 'cluster',
    source: 'push',
  }));
  await w.start();
  const workers = new Map<string, ChildProcess>();
  const addWorker = async () => {
    const p = await w.child(['worker'], TUNING);
    workers.set(`${hostname()}:${p.pid}`, p);
  };
  const [receiver] = await Promise.all([
    w.service(['api', 'scheduler'], TUNING),
    addWorker(),
    addWorker(),
    addWorker(),
  ]);

  // Push what the stream makes visible every 200 ms, as a Collector does, until a while after the kill.
  let pushing = true;
  let pushedTraces = 0;
  const pusher = (async () => {
    while (pushing) {
      pushedTraces += await w.pushVisible(receiver.url!);
      await sleep(200);
    }
  })();

  // A job may finish between looking and killing: then the dead worker held none, so start another worker
  // (three run again) and try again.
  let interrupted: { id: string; by: string } | undefined;
  let storedAtKill = 0;
  try {
    for (let attempt = 0; attempt < 5 && !interrupted; attempt++) {
      if (attempt > 0) await addWorker();
      const running = await until(
        'a score job running in a worker process',
        async () => (await w.runningScoreJobs()).find((j) => workers.has(j.by)),
        30_000,
        { everyMs: 25 },
      );
      const victim = workers.get(running.by)!;
      workers.delete(running.by);
      await w.kill(victim);
      // Still active and still the dead process's: nobody else can finish it until its lock expires.
      if ((await w.runningScoreJobs()).some((j) => j.id === running.id && j.by === running.by))
        interrupted = running;
    }
    expect(interrupted, 'a kill that caught a score job running').toBeDefined();
    storedAtKill = (await w.indexCounts()).byTime;
    await sleep(2000);
  } finally {
    pushing = false;
    await pusher;
  }

  const { expected, stored } = await converge(w, Date.now() * 1000, 90_000);
  expect(expected.traces.length).toBe(pushedTraces);
  expect(storedAtKill).toBeLessThan(expected.anomalies.size);
  await expectEachStoredOnce(w, stored);
  // Its traces were in no other job (a pushed trace is queued once), so without the hand-back they would
  // be missing above; it comes back once the dead worker's lock (4 s) has expired.
  await until(
    'the killed worker’s score job handed back and finished',
    async () => w.handedBackAndDone(interrupted!.id),
    30_000,
    { everyMs: 250 },
  );
  expect(await scoredTraces(w)).toBe(pushedTraces);
}, 240_000);
