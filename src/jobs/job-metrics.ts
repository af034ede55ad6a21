import type { Queue } from 'bullmq';
import type { MetricsRegistry } from '../observability/metrics.js';

/** The background jobs' Prometheus metrics; their names are a contract (dashboards and alerts use them). */
export function jobMetrics(r: MetricsRegistry) {
  return {
    polled: r.counter('tracehound_traces_polled_total', 'New traces pulled from sources', ['source']),
    pollLag: r.gauge('tracehound_poll_lag_seconds', 'How far behind now each poller is', [
      'source',
      'service',
    ]),
    pollErrors: r.counter(
      'tracehound_poll_errors_total',
      'Polls (trace searches and service discoveries) that failed',
      ['source'],
    ),
    pollSkipped: r.counter(
      'tracehound_polls_skipped_total',
      'Polls and discoveries not sent because the source is backed off or its circuit breaker is open',
      ['source', 'reason'],
    ),
    // Traces and anomalies count once each: a retried batch adds only what the first run did not count.
    scored: r.counter('tracehound_traces_scored_total', 'Traces scored', ['model']),
    anomalies: r.counter('tracehound_anomalies_total', 'Anomalies stored', []),
    batchSeconds: r.histogram('tracehound_score_batch_seconds', 'Time to score and store one batch', []),
    trained: r.counter('tracehound_models_trained_total', 'Models trained', ['promoted']),
    incidents: r.counter('tracehound_incident_events_total', 'Incident events', ['event']),
    queueJobs: r.gauge('tracehound_queue_jobs', 'Jobs per queue and state', ['queue', 'state']),
  };
}

export type JobMetrics = ReturnType<typeof jobMetrics>;

/** Reads the queues' job counts into `tracehound_queue_jobs` before each scrape. */
export function countQueueJobs(r: MetricsRegistry, m: JobMetrics, queues: readonly Queue[]): void {
  r.onCollect(async () => {
    for (const q of queues) {
      const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed');
      for (const [state, n] of Object.entries(counts)) m.queueJobs.set({ queue: q.name, state }, n);
    }
  });
}
