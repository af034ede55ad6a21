import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import type { RedisClient } from '../../src/store/redis-client.js';
import { AnomalyStore } from '../../src/store/anomalies.js';
import { AggregateStore } from '../../src/store/aggregates.js';
import { EvidenceStore } from '../../src/store/incident-evidence.js';
import { SessionStore } from '../../src/store/sessions.js';
import { TraceReservoir } from '../../src/store/reservoir.js';
import { trainModelSet } from '../../src/scoring/train.js';
import { endpointKeyOf } from '../../src/trace/endpoint-key.js';
import type { Anomaly } from '../../src/store/anomaly-record.js';
import { MetricsRegistry } from '../../src/observability/metrics.js';
import { jobMetrics } from '../../src/jobs/job-metrics.js';
import { scoreProcessor } from '../../src/jobs/processors/score.js';
import {
  QUEUE_PREFIX,
  QUEUES,
  enqueueBuffered,
  enqueueScore,
  type TypedQueue,
} from '../../src/jobs/queues.js';
import { SpanBuffer } from '../../src/store/span-buffer.js';
import { queryTraces } from '../helpers/query-traces.js';
import { checkout } from '../helpers/checkout.js';
import { useRedis } from '../helpers/redis.js';
import { rounded } from '../helpers/rounded.js';

let redis: RedisClient;
useRedis((c) => (redis = c));

const queues: Queue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

const metric = (text: string, line: string): number => {
  const at = text.split('\n').find((l) => l.startsWith(`${line} `));
  return at === undefined ? NaN : Number(at.slice(line.length + 1));
};

describe('a score job retried whole', () => {
  it('counts every trace, anomaly, sample and metric once', async () => {
    const { many } = queryTraces(11);
    const model = await trainModelSet(many(600), { forest: false, autoencoder: false });
    // One endpoint with a model (some slow traces among them), one without (some failing), sessions on both.
    const modelled = [...many(100), ...many(30, 4)];
    const unmodelled = Array.from({ length: 20 }, (_, i) => checkout(i + 1, { failed: i % 5 === 0 }));
    modelled.slice(0, 10).forEach((t) => (t.spans[t.root].attributes['session.id'] = 's-1'));
    unmodelled.slice(0, 10).forEach((t) => (t.spans[t.root].attributes['session.id'] = 's-1'));
    const traces = [...modelled, ...unmodelled];
    const withModel = endpointKeyOf(modelled[0]);
    const withoutModel = endpointKeyOf(unmodelled[0]);
    const now = () => 1_700_000_100_000;

    const anomalies = new AnomalyStore(redis, { now });
    const aggregates = new AggregateStore(redis, { retentionS: 3600, now });
    const evidence = new EvidenceStore(redis);
    const sessions = new SessionStore(redis, { now });
    const reservoir = new TraceReservoir(redis);
    const notified: Anomaly[] = [];
    const opts = { connection: redis, prefix: QUEUE_PREFIX };
    const scoreQueue: TypedQueue<'score'> = new Queue(QUEUES.score, opts);
    const trainQueue: TypedQueue<'train'> = new Queue(QUEUES.train, opts);
    queues.push(scoreQueue, trainQueue);
    const registry = new MetricsRegistry({ processMetrics: false });
    const run = scoreProcessor({
      pipeline: {
        models: { get: async (ep) => (ep === withModel ? model : undefined) },
        anomalies,
        reservoir,
        minTrainingTraces: 5,
        notify: async (a) => void notified.push(a),
        evidence,
        aggregates,
        sessions: { store: sessions, attributes: ['session.id'] },
        now,
      },
      sources: [{ name: 'jaeger', link: (id) => `http://jaeger/trace/${id}` }],
      trainQueue,
      metrics: jobMetrics(registry),
      spanBuffer: new SpanBuffer(redis),
    });

    // Through the queue, as a worker receives it: one job of the whole batch.
    await enqueueScore(scoreQueue, traces, 'jaeger', { size: 1000, keep: ['session.id'] });
    const [job] = await scoreQueue.getJobs(['waiting']);
    expect(await scoreQueue.count()).toBe(1);

    const window = [traces[0].start - 120e6, Math.max(...traces.map((t) => t.start)) + 120e6] as const;
    const snapshot = async () => ({
      anomalies: await anomalies.stats(),
      aggregates: (await aggregates.load(...window)).toJSON(),
      traffic: (await aggregates.traffic()).sort((a, b) => a.service.localeCompare(b.service)),
      evidence: [...(await evidence.range(window[0] - (window[0] % 60e6), window[1]))].map(([m, e]) => ({
        m,
        e: e.evidence.toJSON(),
        a: e.anomalies.map((x) => x.traceId).sort(),
      })),
      session: await sessions.get('s-1'),
      reservoir: {
        kept: [await reservoir.size(withModel), await reservoir.size(withoutModel)],
        seen: [await reservoir.seen(withModel), await reservoir.seen(withoutModel)],
        distinct: new Set((await reservoir.sample(withoutModel)).map((t) => t.traceId)).size,
      },
      trainJobs: await trainQueue.count(),
    });

    const first = await run(job);
    const once = await snapshot();
    const m = await registry.render();
    const second = await run(job);
    const twice = await snapshot();
    const m2 = await registry.render();

    // The first run's figures, worked out from what was scored.
    const failing = unmodelled.filter((_, i) => i % 5 === 0).length;
    expect(first).toMatchObject({ scored: traces.length, withoutModel: unmodelled.length });
    expect(first.anomalies).toBeGreaterThan(failing);
    expect(first.counted).toEqual({
      scored: first.scored,
      withoutModel: first.withoutModel,
      anomalies: first.anomalies,
    });
    expect(once.anomalies.total).toBe(first.anomalies);
    expect(once.traffic.map((t) => [t.service, t.scored, t.anomalous])).toEqual([
      ['frontend', unmodelled.length, failing],
      ['web', modelled.length, first.anomalies - failing],
    ]);
    expect(once.evidence.reduce((n, m) => n + m.e.traces, 0)).toBe(modelled.length);
    expect(once.evidence.reduce((n, m) => n + m.a.length, 0)).toBe(first.anomalies);
    expect(once.session).toMatchObject({ traces: 20 });
    expect(once.reservoir.kept).toEqual([
      modelled.length - (first.anomalies - failing),
      unmodelled.length - failing,
    ]);
    expect(once.reservoir.seen).toEqual(once.reservoir.kept);
    expect(once.reservoir.distinct).toBe(unmodelled.length - failing);
    expect(once.trainJobs).toBe(1);
    expect(metric(m, 'tracehound_traces_scored_total{model="trained"}')).toBe(modelled.length);
    expect(metric(m, 'tracehound_traces_scored_total{model="none"}')).toBe(unmodelled.length);
    expect(metric(m, 'tracehound_anomalies_total')).toBe(first.anomalies);

    // The retry did the work again, and counted nothing again.
    expect(second).toMatchObject({
      scored: first.scored,
      anomalies: first.anomalies,
      withoutModel: first.withoutModel,
    });
    expect(second.counted).toEqual({ scored: 0, withoutModel: 0, anomalies: 0 });
    expect(rounded(twice)).toEqual(rounded(once));
    for (const line of [
      'tracehound_traces_scored_total{model="trained"}',
      'tracehound_traces_scored_total{model="none"}',
      'tracehound_anomalies_total',
    ])
      expect(metric(m2, line)).toBe(metric(m, line));
    // Work done, not things counted: two runs, two batches timed.
    expect(metric(m2, 'tracehound_score_batch_seconds_count')).toBe(2);
    // Every anomaly is told again (a run killed before notifying must still send), under the same id, which
    // the webhook deliveries dedupe by.
    expect(notified.length).toBe(2 * first.anomalies);
    expect(new Set(notified.map((a) => a.id)).size).toBe(first.anomalies);
    model.dispose();
  }, 60_000);

  it('counts once a pushed batch whose first run failed after the aggregates counted it', async () => {
    const traces = Array.from({ length: 12 }, (_, i) => checkout(i + 1, { failed: i % 4 === 0 }));
    const failing = traces.filter((_, i) => i % 4 === 0).length;
    const now = () => 1_700_000_100_000;
    const aggregates = new AggregateStore(redis, { retentionS: 3600, now });
    const anomalies = new AnomalyStore(redis, { now });
    const real = new TraceReservoir(redis);
    const buffer = new SpanBuffer(redis);
    let failures = 1;
    // Redis failing between the aggregates and the reservoir: the job fails and BullMQ runs it again.
    const reservoir = {
      addTraces: async (ts: Parameters<TraceReservoir['addTraces']>[0]) => {
        if (failures-- > 0) throw new Error('connection lost');
        return real.addTraces(ts);
      },
      size: (ep: string) => real.size(ep),
    };
    const opts = { connection: redis, prefix: QUEUE_PREFIX };
    const scoreQueue: TypedQueue<'score'> = new Queue(QUEUES.score, opts);
    const trainQueue: TypedQueue<'train'> = new Queue(QUEUES.train, opts);
    queues.push(scoreQueue, trainQueue);
    const registry = new MetricsRegistry({ processMetrics: false });
    const run = scoreProcessor({
      pipeline: {
        models: { get: async () => undefined },
        anomalies,
        reservoir,
        minTrainingTraces: 1e9,
        aggregates,
        now,
      },
      sources: [],
      trainQueue,
      metrics: jobMetrics(registry),
      spanBuffer: buffer,
    });
    // Pushed, settled and flushed: the job names the traces, whose spans wait in the buffer.
    await buffer.add(traces.flatMap((t) => t.spans));
    const ids = traces.map((t) => t.traceId);
    await enqueueBuffered(scoreQueue, ids, 100);
    await buffer.claim(ids);
    const [job] = await scoreQueue.getJobs(['waiting']);
    expect(job.data).toEqual({ source: 'push', traces: [], buffered: ids });
    // The failed run left the spans where they were; the retry reads them again, scores, then drops them.
    await expect(run(job)).rejects.toThrow('connection lost');
    expect((await run(job)).scored).toBe(traces.length);
    expect((await buffer.read(ids)).traces.every((t) => t.spans.length === 0)).toBe(true);
    // Run once more (a redelivery after the worker died at the end): nothing is left to score.
    expect((await run(job)).scored).toBe(0);
    const m = await registry.render();
    expect(metric(m, 'tracehound_traces_scored_total{model="none"}')).toBe(traces.length);
    expect(metric(m, 'tracehound_anomalies_total')).toBe(failing);
    expect((await aggregates.traffic()).map((t) => [t.scored, t.anomalous])).toEqual([
      [traces.length, failing],
    ]);
    expect((await anomalies.stats()).total).toBe(failing);
    // The price of never counting twice: the failed run's traces are not offered to the reservoir again.
    expect(await real.seen(endpointKeyOf(traces[0]))).toBe(0);
  });
});
