import type { TraceSource } from '../../sources/source.js';
import { expandTrace } from '../../store/reservoir.js';
import type { JobMetrics } from '../job-metrics.js';
import { scoreBatch, type BatchResult, type PipelineStores } from '../pipeline.js';
import { ScorePayload, enqueueColdTrain, payloadOf, type QueueJob, type TypedQueue } from '../queues.js';

export interface ScoreProcessorDeps {
  pipeline: PipelineStores;
  /** Where the traces came from, for the anomalies' links to the source's UI. */
  sources: readonly Pick<TraceSource, 'name' | 'link'>[];
  /** Where an endpoint's first model is asked for once its reservoir holds enough traces. */
  trainQueue: TypedQueue<'train'>;
  metrics: Pick<JobMetrics, 'scored' | 'anomalies' | 'batchSeconds'>;
}

/**
 * The score queue: one batch of compact traces through jobs/pipeline.ts. A job is retried whole; the
 * pipeline's stores count each trace once, and so do the counters here (PipelineDeps.counted).
 */
export function scoreProcessor(d: ScoreProcessorDeps): (job: QueueJob) => Promise<BatchResult> {
  return async (job) => {
    const t0 = performance.now();
    const data = payloadOf(ScorePayload, 'score', job);
    const traces = data.traces.map(expandTrace);
    const source = d.sources.find((s) => s.name === data.source);
    const r = await scoreBatch(
      traces,
      {
        ...d.pipeline,
        coldStart: (endpoint) => enqueueColdTrain(d.trainQueue, endpoint),
        counted: (c) => {
          d.metrics.scored.inc({ model: 'trained' }, c.scored - c.withoutModel);
          d.metrics.scored.inc({ model: 'none' }, c.withoutModel);
          d.metrics.anomalies.inc({}, c.anomalies);
        },
      },
      { source: data.source, link: source ? (id) => source.link(id) : undefined },
    );
    d.metrics.batchSeconds.observe({}, (performance.now() - t0) / 1000);
    return r;
  };
}
