import type { ModelRegistry } from '../../registry/redis-registry.js';
import type { IncidentStore } from '../../store/incidents.js';
import type { TraceReservoir } from '../../store/reservoir.js';
import type { JobMetrics } from '../job-metrics.js';
import {
  RetrainPayload,
  TrainPayload,
  enqueueTrains,
  payloadOf,
  type QueueJob,
  type TypedQueue,
} from '../queues.js';
import { trainEndpoint } from '../trainer.js';

/**
 * Incidents whose windows training leaves out: open ones and those resolved within a day (a nightly
 * retrain still finds a resolved fault's traces in the reservoir).
 */
const INCIDENT_LOOKBACK_MS = 86_400_000;

export interface TrainProcessorDeps {
  queue: TypedQueue<'train'>;
  reservoir: TraceReservoir;
  registry: ModelRegistry;
  /** Without incidents, no window is left out. */
  incidents?: Pick<IncidentStore, 'windows'>;
  minTrainingTraces: number;
  targetFpr: number;
  metrics: Pick<JobMetrics, 'trained'>;
  log: (msg: string) => void;
}

/**
 * The train queue: `retrain-all` (the cron, or on demand) fans out one `train` job per endpoint; `train`
 * trains one endpoint (jobs/trainer.ts) and makes the new version active if it does as well as the old.
 */
export function trainProcessor(d: TrainProcessorDeps): (job: QueueJob) => Promise<unknown> {
  return async (job) => {
    if (job.name === 'retrain-all') {
      const asked = payloadOf(RetrainPayload, 'train', job).endpoints;
      const endpoints = asked ?? (await d.reservoir.endpoints());
      await enqueueTrains(d.queue, endpoints);
      return { endpoints: endpoints.length };
    }
    const { endpoint } = payloadOf(TrainPayload, 'train', job);
    const incidents = d.incidents;
    const outcome = await trainEndpoint(endpoint, {
      reservoir: d.reservoir,
      registry: d.registry,
      minTraces: d.minTrainingTraces,
      train: { targetFpr: d.targetFpr },
      abnormal: incidents && (() => incidents.windows(Date.now() - INCIDENT_LOOKBACK_MS)),
    });
    d.metrics.trained.inc({ promoted: String(outcome.promoted) });
    const dropped = outcome.dropped;
    d.log(
      `train ${outcome.endpoint}: v${outcome.version ?? '-'} ${outcome.promoted ? 'active' : 'kept inactive'} (${outcome.reason})` +
        (dropped
          ? `; left out ${dropped.inIncidents} traces inside incidents, ${dropped.screened} screened as abnormal`
          : ''),
    );
    return outcome;
  };
}
