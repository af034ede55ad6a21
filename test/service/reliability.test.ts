/**
 * Reliability, end to end: a real private Redis with AOF (appendfsync always), the simulator serving the
 * Jaeger v1 API, a real HTTP webhook receiver. Each test breaks one thing while the service is busy (a worker
 * killed with SIGKILL mid-batch, Redis killed and restarted, the source down, the receiver failing) and then
 * checks that the store holds exactly the anomalies that scoring the same traces directly finds, each once,
 * and that every one of them reached the receiver.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { globalIndex } from '../../src/store/anomaly-keys.js';
import { readDeliveryLog, type DeliveryLogEntry } from '../../src/webhooks/delivery-log.js';
import { converge, expectEachStoredOnce, sleep, World } from './reliability-harness.js';
import { until } from '../helpers/until.js';
import { trainShopModel } from '../helpers/models.js';

let model: ModelSet;
let world: World | undefined;

beforeAll(async () => {
  model = await trainShopModel();
}, 60_000);

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A cutoff safely behind the source's present: every trace started by then has ended and is queryable. */
const settledCutoffUs = () => (Date.now() - 5000) * 1000;

async function storedCount(w: World): Promise<number> {
  return w.admin.zcard(globalIndex('time'));
}

describe('reliability: nothing lost, nothing stored twice', () => {
  it('a worker killed with SIGKILL in the middle of a scoring batch', async () => {
    const w = (world = new World(model, { seed: 11, backfillS: 30 }));
    await w.start();
    // Kill a worker while it is scoring the backlog: a score job running and some anomalies stored already.
    // A job may finish between looking and killing; then the dead worker held none, so try again.
    let interrupted = 0;
    for (let attempt = 0; attempt < 4 && interrupted === 0; attempt++) {
      const worker = await w.child(['worker', 'scheduler']);
      await until(
        'a score job running with anomalies stored',
        async () => ((await w.activeScoreJobs()) > 0 && (await storedCount(w)) > 0 ? true : undefined),
        40_000,
        { everyMs: 20 },
      );
      await w.kill(worker);
      // A dead worker's jobs stay active until another worker finds their lock expired.
      interrupted = await w.activeScoreJobs();
    }
    expect(interrupted, 'a kill that caught a score job running').toBeGreaterThan(0);
    const storedAtKill = await storedCount(w);

    await w.child(['worker', 'scheduler']);
    const { expected, stored } = await converge(w, settledCutoffUs(), 90_000);
    expect(storedAtKill).toBeLessThan(expected.anomalies.size);
    await expectEachStoredOnce(w, stored);
    // The job the kill interrupted is handed back (stalled) and finished by the new worker. Its traces may be
    // stored already through another batch that polled them too, so this can come after convergence: once
    // the dead worker's lock (6 s) has expired and the new worker's stalled check has run.
    await until(
      'the interrupted score job handed back and finished',
      async () => ((await w.stalledScoreJobs()) > 0 ? true : undefined),
      30_000,
      { everyMs: 250 },
    );
    await expectEachStoredOnce(w, (await converge(w, settledCutoffUs(), 30_000)).stored);
  }, 240_000);

  it('Redis killed with SIGKILL under load and started again on its AOF', async () => {
    const w = (world = new World(model, { seed: 12, backfillS: 30 }));
    await w.start();
    await w.service(['worker', 'scheduler']);
    await until(
      'a score job running with anomalies stored',
      async () => ((await w.activeScoreJobs()) > 0 && (await storedCount(w)) > 0 ? true : undefined),
      40_000,
      { everyMs: 20 },
    );
    const storedBefore = await storedCount(w);
    await w.redis.stop(true);
    await sleep(2000);
    await w.redis.restart();
    expect(await storedCount(w)).toBeGreaterThanOrEqual(storedBefore);

    const { expected, stored } = await converge(w, settledCutoffUs(), 90_000);
    expect(storedBefore).toBeLessThan(expected.anomalies.size);
    await expectEachStoredOnce(w, stored);
  }, 240_000);

  it('the source down for a while: the poller backs off, then catches up without missing a trace', async () => {
    const w = (world = new World(model, { seed: 13, backfillS: 30 }));
    await w.start();
    const svc = await w.service(['api', 'worker', 'scheduler']);
    await until('the backlog scored', async () => ((await storedCount(w)) > 0 ? true : undefined), 30_000, {
      everyMs: 250,
    });
    const downUs = Date.now() * 1000;
    await w.sim.stop();
    await sleep(8000);
    await w.sim.start();
    const upUs = Date.now() * 1000;

    const { expected, stored } = await converge(w, settledCutoffUs(), 90_000);
    await expectEachStoredOnce(w, stored);
    // Every trace the source held (those of the outage included) was handed to scoring. How many there are
    // depends on how fast this machine generates them; that the outage held some is what matters.
    const duringOutage = w.sim.tracesUntil(upUs).length - w.sim.tracesUntil(downUs).length;
    expect(duringOutage).toBeGreaterThan(0);
    expect(expected.traces.length).toBeGreaterThan(duringOutage);
    // Services where no trace begins are swept only every tenth interval, so a trace found only there (its
    // root span missing, or begun elsewhere) can be handed on after the anomalies have converged.
    let unseen: string[] = [];
    await until(
      'every trace the source held handed to scoring',
      async () => ((unseen = await w.notSeen(expected.traces)).length === 0 ? true : undefined),
      30_000,
      { everyMs: 500 },
    ).catch(() => expect(unseen).toEqual([]));

    const metrics = (await svc.api!.inject({ method: 'GET', url: '/metrics' })).body;
    const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
    const errors = value(/^tracehound_poll_errors_total\{source="jaeger"\} (\d+)$/m);
    const skipped = value(/^tracehound_polls_skipped_total\{reason="breaker-open",source="jaeger"\} (\d+)$/m);
    // About fifteen services polled every second for eight seconds: the breaker kept most polls off the
    // dead backend (without it every one of them would have failed).
    expect(errors).toBeGreaterThan(0);
    expect(skipped).toBeGreaterThan(errors);
  }, 240_000);

  it('the webhook receiver failing (500s, then 429 with Retry-After): every delivery arrives, retries logged', async () => {
    const w = (world = new World(model, { seed: 14, backfillS: 30 }));
    await w.start();
    let firstAt = 0;
    w.receiver.answer = (d) => {
      firstAt ||= d.at;
      const t = d.at - firstAt;
      // 14 s of failures: the retry schedule (0.5 s doubling to 8 s, 8 tries, jitter in the upper half of
      // each step) spans at least 15.75 s, so no delivery may run out of tries.
      if (t < 10_000) return { status: 500 };
      if (t < 14_000) return { status: 429, headers: { 'retry-after': '2' } };
      return { status: 204 };
    };
    // The delivery log keeps each webhook's newest 200 attempts: sample it all along to see the retries.
    const attempts = new Map<string, DeliveryLogEntry>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const e of await readDeliveryLog(w.admin, w.webhookId, 200))
          attempts.set(`${e.deliveryId}#${e.attempt}#${e.outcome}`, e);
        await sleep(200);
      }
    })();
    await w.service(['worker', 'scheduler']);
    await until(
      'the receiver to recover',
      async () => (firstAt && Date.now() - firstAt > 14_500 ? true : undefined),
      60_000,
      { everyMs: 250 },
    );
    let result;
    try {
      result = await converge(w, settledCutoffUs(), 90_000);
    } finally {
      sampling = false;
      await sampler;
    }
    await expectEachStoredOnce(w, result.stored);
    expect(await w.deadLetters()).toBe(0);
    expect(await w.failedDeliveryJobs()).toBe(0);

    const seen = [...attempts.values()];
    const some = (f: (e: DeliveryLogEntry) => boolean) => seen.some(f);
    expect({
      retriedAfter500: some((e) => e.outcome === 'retrying' && e.status === 500),
      retriedAfter429: some((e) => e.outcome === 'retrying' && e.status === 429),
      deliveredAfterRetries: some((e) => e.outcome === 'delivered' && e.attempt > 1),
    }).toEqual({ retriedAfter500: true, retriedAfter429: true, deliveredAfterRetries: true });

    // Retry-After was honoured: after a 429 the same delivery came back no sooner than 2 s later.
    const byId = new Map<string, number[]>();
    for (const d of w.receiver.log) byId.set(d.deliveryId, [...(byId.get(d.deliveryId) ?? []), d.at]);
    let checked = 0;
    for (const d of w.receiver.log.filter((x) => x.status === 429)) {
      const next = byId.get(d.deliveryId)!.find((t) => t > d.at);
      if (next === undefined) continue;
      expect(next - d.at).toBeGreaterThanOrEqual(1900);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  }, 240_000);
});
