import type { TraceSource } from '../../sources/source.js';
import { expandTrace } from '../../store/reservoir.js';
import type { SpanBuffer } from '../../store/span-buffer.js';
import { normalizeTrace } from '../../trace/normalize.js';
import type { Trace } from '../../trace/trace.js';
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
  /** Where pushed traces named by id wait (see SpanBuffer). */
  spanBuffer: Pick<SpanBuffer, 'read' | 'remove'>;
  log?: (line: string) => void;
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
    if (data.buffered) traces.push(...(await bufferedTraces(d, data.buffered, job.id)));
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
    // Only now: a job retried after a crash before this line reads the same spans again.
    if (data.buffered) await d.spanBuffer.remove(data.buffered);
    d.metrics.batchSeconds.observe({}, (performance.now() - t0) / 1000);
    return r;
  };
}

/**
 * The named traces' spans from the push buffer, as traces. A trace with none left was scored and removed by
 * an earlier run of this job (or outlived the buffer's expiry): there is nothing to score again.
 */
async function bufferedTraces(
  d: ScoreProcessorDeps,
  ids: readonly string[],
  jobId: string | undefined,
): Promise<Trace[]> {
  const { traces, unreadable } = await d.spanBuffer.read(ids);
  if (unreadable > 0)
    d.log?.(`score job ${jobId ?? '?'}: ${unreadable} buffered chunk(s) could not be read and were left out`);
  return traces.filter((t) => t.spans.length > 0).map((t) => normalizeTrace(t.traceId, t.spans));
}
