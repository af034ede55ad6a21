import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/redis-client.js';
import { useRedis } from '../helpers/redis.js';
import { EvidenceStore } from '../../src/store/incident-evidence.js';
import { evidenceKey } from '../../src/store/incident-keys.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { ShiftEvidence, type ServiceShift } from '../../src/incidents/shift-evidence.js';
import { MINUTE_US } from '../../src/incidents/signal.js';
import {
  closedUntil,
  runIncidentJob,
  type IncidentJobDeps,
  type IngestProgress,
} from '../../src/jobs/incidents-job.js';
import type { IncidentWebhookEvent } from '../../src/webhooks/events.js';
import { tid } from '../store/fixtures.js';
import { signalAt } from '../store/incident-fixtures.js';

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

/** Normal minutes blame nobody; fault minutes put the per-trace blame on cartservice. */
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
    operations: {},
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
    await evidence.put(
      'b1',
      new Map([[at(k), { evidence: minuteEvidence(k), anomalies: flagged.slice(0, 1) }]]),
    );
    await evidence.put(
      'b2',
      new Map([[at(k), { evidence: new ShiftEvidence(), anomalies: flagged.slice(1) }]]),
    );
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
      evidence,
      signals: async (m) => (inFault((m - M) / MINUTE_US) ? [signalAt(m / 1000)] : []),
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
    expect((await redis.hkeys(evidenceKey(at(41)))).sort()).toEqual(['b1', 'b2']);
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
});
