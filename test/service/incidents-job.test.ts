import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { useRedis } from '../helpers/redis.js';
import { EvidenceStore } from '../../src/store/incident-evidence.js';
import { evidenceKey } from '../../src/store/incident-keys.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { IncidentEngine } from '../../src/incidents/incident-engine.js';
import { ShiftEvidence } from '../../src/incidents/shift-evidence.js';
import type { OperationShift, ServiceShift } from '../../src/incidents/shift-records.js';
import { MINUTE_US } from '../../src/traffic/minute.js';
import { closedUntil, runIncidentJob } from '../../src/jobs/incidents-job.js';
import type { IncidentJobDeps, IngestProgress } from '../../src/jobs/incident-job-state.js';
import type { IncidentWebhookEvent } from '../../src/webhooks/events.js';
import { IncidentActions } from '../../src/jobs/incident-actions.js';
import { tid } from '../helpers/anomaly-fixtures.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

const M = Date.parse('2025-03-01T00:00:00.000Z') * 1000;
const at = (k: number) => M + k * MINUTE_US;
const FAULT = { from: 10, to: 20 };
const inFault = (k: number) => k >= FAULT.from && k <= FAULT.to;

function service(traces: number, anomalous: number, cause: number): ServiceShift {
  return {
    traces,
    scoreSum: traces / 2,
    anomalous,
    cause,
    structureObserved: 0,
    structureExpected: 0,
    errorOrigins: 0,
    spans: traces,
  };
}

/** cartservice:GetCart's spans, `slow` of 100 slower than their normal 95th percentile. */
function getCart(slow: number): OperationShift {
  return {
    service: 'cartservice',
    operation: 'GetCart',
    spans: 100,
    selfZ: 0,
    durZ: 0,
    judged: 100,
    tailJudged: 100,
    slow,
    entryJudged: 100,
    early: 5,
    errorJudged: 100,
    errorOrigins: 0,
    errorExpected: 0.1,
    errorCalls: 0,
    instances: {},
  };
}

/**
 * Normal minutes blame nobody; in fault minutes cartservice's spans are slow in their own code (a service
 * signal against the minutes before) and the per-trace blame is on cartservice.
 */
function minuteEvidence(k: number): ShiftEvidence {
  const a = inFault(k) ? 30 : 1;
  return ShiftEvidence.fromJSON({
    traces: 100,
    anomalous: a,
    scoreSum: 50,
    services: {
      frontend: service(100, a, inFault(k) ? 1 : 0.5),
      cartservice: service(100, a, inFault(k) ? 20 : 0.5),
      currencyservice: service(60, 1, 0),
    },
    operations: { 'cartservice:GetCart': getCart(inFault(k) ? 20 : 5) },
    calls: { frontend: ['cartservice', 'currencyservice'] },
  });
}

interface World {
  deps: IncidentJobDeps;
  sent: IncidentWebhookEvent[];
  store: IncidentStore;
  clock: { now: number };
  progress: { value: Omit<IngestProgress, 'readAt'> };
}

async function world(): Promise<World> {
  const store = new IncidentStore(redis);
  const evidence = new EvidenceStore(redis);
  for (let k = 0; k < 42; k++) {
    // Three flagged traces a fault minute, blaming cartservice, in two batches as scoring writes them.
    const flagged = inFault(k)
      ? [0, 1, 2].map((j) => ({
          traceId: tid(k * 10 + j),
          score: 0.99,
          endpoint: 'frontend:GET /cart',
          suspect: 'cartservice',
        }))
      : [];
    await evidence.put([{ traceId: `b1-${k}`, minute: at(k) }], () => ({
      evidence: minuteEvidence(k),
      anomalies: flagged.slice(0, 1),
    }));
    await evidence.put([{ traceId: `b2-${k}`, minute: at(k) }], () => ({
      evidence: new ShiftEvidence(),
      anomalies: flagged.slice(1),
    }));
  }
  const sent: IncidentWebhookEvent[] = [];
  const clock = { now: at(0) / 1000 };
  const progress: World['progress'] = { value: {} };
  return {
    store,
    sent,
    clock,
    progress,
    deps: {
      store,
      engine: new IncidentEngine({
        evidence: (from, to) => evidence.range(from, to),
        buckets: async () => [],
      }),
      judged: (minute) => evidence.compact(minute),
      progress: async () => ({ ...progress.value, readAt: clock.now }),
      notify: async (e) => {
        sent.push(e);
        return ['wh_1'];
      },
      now: () => clock.now,
      options: { delayS: 30, firstLookbackMinutes: 5 },
    },
  };
}

/** Runs the job once a minute from minute `from` to minute `to` of the clock. */
async function runMinutes(w: World, from: number, to: number): Promise<void> {
  for (let k = from; k <= to; k++) {
    w.clock.now = at(k) / 1000 + 45_000;
    await runIncidentJob(w.deps);
  }
}

describe('closedUntil', () => {
  it('waits for the delay, the poll watermark and the scoring of what was polled', () => {
    const now = 1_000_000;
    const byTime = now * 1000 - 30e6;
    expect(closedUntil(now, 30, { readAt: now }, [])).toBe(byTime);
    expect(closedUntil(now, 30, { readAt: now, watermark: null }, [])).toBe(-Infinity);
    expect(closedUntil(now, 30, { readAt: now, watermark: 5e8 }, [])).toBe(5e8);
    expect(closedUntil(now, 30, { readAt: now, watermark: 2e9 }, [])).toBe(byTime);
    // Scoring still holds a job enqueued at 950 000 ms: only watermarks read before then count.
    const marks: [number, number][] = [
      [900_000, 1e8],
      [940_000, 2e8],
      [960_000, 3e8],
    ];
    const pending = { readAt: now, watermark: 4e8, oldestPendingAt: 950_000 };
    expect(closedUntil(now, 30, pending, marks)).toBe(2e8);
    expect(closedUntil(now, 30, { ...pending, oldestPendingAt: 800_000 }, marks)).toBe(-Infinity);
  });
});

describe('incident job', () => {
  it('opens one incident for the fault, coalesces its updates and resolves it once', async () => {
    const w = await world();
    await runMinutes(w, 1, 40);
    expect(w.sent.map((e) => [e.type, e.timestamp])).toEqual([
      ['incident.opened', new Date(at(12) / 1000).toISOString()],
      // Opened in minute 11; updates every minute after, one sent per five minutes.
      ['incident.updated', new Date(at(17) / 1000).toISOString()],
      ['incident.resolved', new Date(at(26) / 1000).toISOString()],
    ]);
    const id = w.sent[0].data.id;
    expect(new Set(w.sent.map((e) => e.data.id))).toEqual(new Set([id]));
    const stored = await w.store.get(id);
    expect(stored).toMatchObject({
      status: 'resolved',
      start: new Date(at(10) / 1000).toISOString(),
      end: new Date(at(21) / 1000).toISOString(),
      endpoints: ['frontend:GET /cart'],
      // Flagged traces of every fault minute join, those of minute 10 (before it opened) too: three a minute.
      traceCount: 33,
    });
    expect(stored!.rootCauses[0].service).toBe('cartservice');
    expect(stored!.revision).toBe(w.sent[2].data.revision);
    expect(new Set(stored!.traceIds)).toEqual(
      new Set(Array.from({ length: 33 }, (_, i) => tid((FAULT.from + Math.floor(i / 3)) * 10 + (i % 3)))),
    );
    expect((await w.store.list({ status: 'open' })).items).toEqual([]);
    // Judged minutes are compacted; minutes not judged yet keep their batch shares.
    expect(await redis.hkeys(evidenceKey(at(15)))).toEqual(['merged']);
    expect(await redis.hlen(evidenceKey(at(41)))).toBe(2);
  });

  it('replays a minute after a crash without new revisions or new event ids', async () => {
    const w = await world();
    await runMinutes(w, 1, 11);
    const saveState = w.deps.store.saveState.bind(w.deps.store);
    let crashes = 1;
    w.deps.store = {
      ...w.deps.store,
      lock: w.store.lock.bind(w.store),
      unlock: w.store.unlock.bind(w.store),
      upsert: w.store.upsert.bind(w.store),
      get: w.store.get.bind(w.store),
      pendingActions: w.store.pendingActions.bind(w.store),
      dropActions: w.store.dropActions.bind(w.store),
      loadState: w.store.loadState.bind(w.store),
      saveState: async (s) => {
        if (crashes-- > 0) throw new Error('worker killed');
        return saveState(s);
      },
    };
    w.clock.now = at(12) / 1000 + 45_000;
    await expect(runIncidentJob(w.deps)).rejects.toThrow('worker killed');
    await runMinutes(w, 12, 40);
    const ids = w.sent.map((e) => e.id);
    // The opened event of minute 11 went out twice (the dispatcher dedupes by id), nothing else did.
    expect(ids.filter((x) => x.endsWith('_opened'))).toHaveLength(2);
    expect(new Set(ids).size).toBe(3);
    expect(ids.filter((x) => x.endsWith('_resolved'))).toHaveLength(1);
  });

  it('judges no minute before its polled traces are scored', async () => {
    const w = await world();
    w.progress.value = { watermark: null };
    w.clock.now = at(30) / 1000;
    expect((await runIncidentJob(w.deps)).minutes).toBe(0);
    // Polled up to minute 12, but a scoring job older than any watermark reading is still pending.
    w.progress.value = { watermark: at(12), oldestPendingAt: 0 };
    expect((await runIncidentJob(w.deps)).minutes).toBe(0);
    w.progress.value = { watermark: at(12) };
    const r = await runIncidentJob(w.deps);
    expect(r.through).toBe(new Date(at(11) / 1000).toISOString());
    expect(w.sent.map((e) => e.type)).toEqual(['incident.opened']);
  });

  it('runs one at a time', async () => {
    const w = await world();
    const token = await w.store.lock(60_000);
    w.clock.now = at(30) / 1000;
    expect(await runIncidentJob(w.deps)).toMatchObject({ skipped: 'locked', minutes: 0 });
    await w.store.unlock(token!);
    expect((await runIncidentJob(w.deps)).minutes).toBeGreaterThan(0);
  });

  it('pages no more updates once acknowledged, says so once, and still resolves', async () => {
    const w = await world();
    const actions = new IncidentActions({ ...w.deps, store: w.store }, { now: () => w.clock.now });
    await runMinutes(w, 1, 13);
    const id = w.sent[0].data.id;
    const r = await actions.act('acknowledge', id, { by: 'alice', note: 'looking' });
    expect(r).toMatchObject({ outcome: 'done', applied: true, incident: { acknowledgedBy: 'alice' } });
    expect(await actions.act('acknowledge', id, { by: 'bob' })).toMatchObject({
      incident: { acknowledgedBy: 'alice' },
    });
    await runMinutes(w, 14, 40);
    expect(w.sent.map((e) => e.type)).toEqual([
      'incident.opened',
      'incident.acknowledged',
      'incident.resolved',
    ]);
    expect(w.sent[2].data).toMatchObject({ resolvedBy: 'auto', acknowledgeNote: 'looking' });
    // Updates were still stored: the record moved on after the acknowledgement.
    expect((await w.store.get(id))!.revision).toBeGreaterThan(w.sent[1].data.revision + 1);
  });

  it('resolves by hand without resurrecting the incident from the minutes it had not judged yet', async () => {
    const w = await world();
    const actions = new IncidentActions({ ...w.deps, store: w.store }, { now: () => w.clock.now });
    await runMinutes(w, 1, 13);
    const id = w.sent[0].data.id;
    // The fault is over (minute 20 was its last) when someone resolves it; the job has judged minute 12.
    w.clock.now = at(21) / 1000 + 10_000;
    const r = await actions.act('resolve', id, { by: 'bob' });
    expect(r).toMatchObject({ applied: true, incident: { status: 'resolved', resolvedBy: 'manual' } });
    await runMinutes(w, 22, 40);
    expect(w.sent.map((e) => [e.type, e.data.id])).toEqual([
      ['incident.opened', id],
      ['incident.resolved', id],
    ]);
    expect((await w.store.list()).items.map((i) => i.id)).toEqual([id]);
    expect(await w.store.get(id)).toMatchObject({ status: 'resolved', resolvedByName: 'bob' });
  });

  it('opens a new incident when the signals go on after a manual resolve', async () => {
    const v = await world();
    const va = new IncidentActions({ ...v.deps, store: v.store }, { now: () => v.clock.now });
    await runMinutes(v, 1, 13);
    const first = v.sent[0].data.id;
    v.clock.now = at(14) / 1000 + 10_000;
    await va.act('resolve', first, {});
    await runMinutes(v, 15, 40);
    const opened = v.sent.filter((e) => e.type === 'incident.opened').map((e) => e.data.id);
    expect(opened).toHaveLength(2);
    expect(opened[1]).not.toBe(first);
    expect((await v.store.get(first))!.status).toBe('resolved');
    expect((await v.store.get(opened[1]))!.start).toBe(new Date(at(15) / 1000).toISOString());
  });

  it('queues an action while the job holds its lock and applies it on the next run', async () => {
    const w = await world();
    const actions = new IncidentActions({ ...w.deps, store: w.store }, { now: () => w.clock.now, waitMs: 0 });
    await runMinutes(w, 1, 13);
    const id = w.sent[0].data.id;
    const token = await w.store.lock(60_000);
    expect(await actions.act('acknowledge', id, {})).toMatchObject({ applied: false });
    expect((await w.store.get(id))!.acknowledgedAt).toBeUndefined();
    await w.store.unlock(token!);
    const run = await runIncidentJob(w.deps);
    expect(run.actions).toBe(1);
    expect((await w.store.get(id))!.acknowledgedAt).toBeDefined();
    expect(await w.store.pendingActions()).toEqual([]);
  });
});
