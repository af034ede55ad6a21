import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startSimServer, type SimServer } from '../../src/sim/index.js';
import { getScenario } from '../../src/sim/scenarios.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { WebhookStore } from '../../src/webhooks/store.js';
import { pollingConfig } from '../helpers/polling-config.js';
import { startService, type RunningService } from '../../src/app/start.js';
import type { Incident } from '../../src/incidents/incident.js';
import type { AlertmanagerPayload } from '../../src/webhooks/formats/alertmanager.js';
import type { PagerDutyEvent } from '../../src/webhooks/formats/pagerduty.js';
import { until } from '../helpers/until.js';
import { activateShopModel } from '../helpers/models.js';
import { Receiver } from '../helpers/receiver.js';
import { DEFAULT_SIGNAL_OPTIONS } from '../../src/incidents/history-signals.js';

/**
 * The shop (2.5 traces/s, enough for every signal's minimum counts) with cartservice's GetCart failing 30%
 * of the time for three minutes, after four normal ones
 * (signals need three minutes of history); the whole story, and six quiet minutes after it (an incident
 * resolves after five), already happened when the service starts, and traffic goes on normally.
 */
const FAULT_START_S = 240;
const FAULT_END_S = 420;
const BACKFILL_S = 800;

function scenario(): Scenario {
  const base = getScenario('shop-errors');
  return {
    ...base,
    name: 'shop-errors-incident',
    workload: { ...base.workload, rate: 2.5 },
    faults: base.faults.map((f) => ({ ...f, startS: FAULT_START_S, endS: FAULT_END_S })),
    durationS: BACKFILL_S + 600,
  };
}

describe('service end to end: a fault becomes one incident, paged once and resolved once', () => {
  let redis: TestRedis;
  let sim: SimServer;
  let service: RunningService;
  const receiver = new Receiver();
  const received = receiver.log;
  const ROUTING_KEY = 'R0UT1NGKEY0123456789012345678901';

  const T0 = Date.now();
  /** The service's log, shown when a wait times out. */
  const logs: string[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    const admin = new Redis(redis.url);
    await activateShopModel(admin);

    await receiver.start();
    const hooks = new WebhookStore(admin, { allowPrivate: true });
    const events = ['incident.opened', 'incident.updated', 'incident.resolved'] as const;
    await hooks.create({ url: receiver.url('/am'), format: 'alertmanager', events: [...events] });
    await hooks.create({
      url: receiver.url('/pd'),
      format: 'pagerduty',
      secret: ROUTING_KEY,
      events: [...events],
    });
    admin.disconnect();

    sim = await startSimServer({ scenario: scenario(), port: 0, seed: 9, backfillS: BACKFILL_S });
    service = await startService(
      pollingConfig(redis.url, sim.url, {
        TRACEHOUND_INITIAL_LOOKBACK: String(BACKFILL_S + 20),
        TRACEHOUND_INCIDENT_INTERVAL: '1',
        TRACEHOUND_INCIDENT_DELAY: '5',
        TRACEHOUND_API_KEYS: 'read-key-123:read',
      }),
      new Set(['api', 'worker', 'scheduler'] as const),
      (m) => logs.push(`${((Date.now() - T0) / 1000).toFixed(1)} s ${m}`),
    );
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    await sim?.close();
    await receiver.close();
    await redis?.close();
  });

  it('opens an incident naming cartservice first, resolves it, and pages each receiver once each way', async () => {
    const auth = { authorization: 'Bearer read-key-123' };
    const list = async (q: string) =>
      (await service.api!.inject({ url: `/v1/incidents?${q}`, headers: auth })).json() as {
        items: Incident[];
      };
    const resolved = await until(
      'the incident to resolve',
      async () => {
        const page = await list('status=resolved');
        return page.items.length > 0 ? page.items : undefined;
      },
      80_000,
      { everyMs: 500, log: logs },
    ).catch(async (e: Error) => {
      // Seen once under a loaded full-suite run (8 s alone): say what state the service was in.
      const open = (await list('limit=50')).items.map((i) => `${i.id} ${i.status} ${i.start}..${i.end}`);
      const queues = await Promise.all(
        Object.entries(service.jobs.queues).map(
          async ([n, q]) => `${n} ${JSON.stringify(await q.getJobCounts())}`,
        ),
      );
      throw new Error(`${e.message}\nincidents: ${open.join('; ') || 'none'}\nqueues: ${queues.join('; ')}`);
    });
    const all = (await list('limit=50')).items;
    expect(all.map((i) => i.id)).toEqual(resolved.map((i) => i.id));
    expect(all).toHaveLength(1);
    const inc = all[0];
    expect(inc.rootCauses[0].service).toBe('cartservice');
    const fault = sim.truth().faults[0];
    const start = Date.parse(inc.start) * 1000;
    const end = Date.parse(inc.end) * 1000;
    expect(start).toBeGreaterThanOrEqual(fault.start - 60e6);
    expect(start).toBeLessThanOrEqual(fault.start + 180e6);
    expect(end).toBeGreaterThan(fault.start);
    // Ends with the last minute it fired in. A quiet target (fewer calls a minute than a signal needs) is
    // judged on its last quietPoolMinutes minutes pooled, so the fault's last minute can make it fire that
    // many minutes on: no later. (Bounded by fault.end + 2 min before, which a fault ending late in its
    // minute overran by one pooled minute in a clean-clone CI run.)
    const lastFaultMinute = fault.end - (fault.end % 60e6);
    expect(end).toBeLessThanOrEqual(lastFaultMinute + DEFAULT_SIGNAL_OPTIONS.quietPoolMinutes * 60e6);
    expect(inc.traceCount).toBeGreaterThan(20);
    const one = await service.api!.inject({ url: `/v1/incidents/${inc.id}`, headers: auth });
    expect(one.json()).toEqual(inc);

    const delivered = (path: string, suffix: string) =>
      received.filter((r) => r.path === path && r.deliveryId.includes(`_${suffix}`));
    await until(
      'the resolves to be delivered',
      async () =>
        delivered('/am', 'resolved').length && delivered('/pd', 'resolved').length ? true : undefined,
      8_000,
      { everyMs: 500, log: logs },
    );
    expect(new Set(received.map((r) => r.deliveryId)).size).toBe(received.length);
    for (const path of ['/am', '/pd']) {
      expect(delivered(path, 'opened'), path).toHaveLength(1);
      expect(delivered(path, 'resolved'), path).toHaveLength(1);
    }

    const am = received.filter((r) => r.path === '/am').map((r) => JSON.parse(r.body) as AlertmanagerPayload);
    expect(am[0].status).toBe('firing');
    expect(am[am.length - 1].status).toBe('resolved');
    expect(new Set(am.map((p) => p.alerts[0].fingerprint)).size).toBe(1);
    expect(new Set(am.map((p) => JSON.stringify(p.alerts[0].labels))).size).toBe(1);
    expect(am[0].alerts[0].labels.incident_id).toBe(inc.id);
    expect(am[0].alerts[0].annotations.root_cause).toMatch(/^cartservice/);

    const pd = received.filter((r) => r.path === '/pd').map((r) => JSON.parse(r.body) as PagerDutyEvent);
    expect(pd[0].event_action).toBe('trigger');
    expect(pd[pd.length - 1].event_action).toBe('resolve');
    expect(pd.filter((e) => e.event_action === 'resolve')).toHaveLength(1);
    expect(new Set(pd.map((e) => e.dedup_key))).toEqual(new Set([`tracehound-incident-${inc.id}`]));
    expect(pd.every((e) => e.routing_key === ROUTING_KEY)).toBe(true);
  }, 90_000);
});
