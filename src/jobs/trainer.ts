import type { TrainOptions } from '../scoring/train.js';
import type { ModelRegistry } from '../registry/redis-registry.js';
import type { TraceReservoir } from '../store/reservoir.js';
import type { AbnormalWindow, TrainTask, TrainTaskResult } from './train-task.js';

export type { AbnormalWindow } from './train-task.js';
import { trainInThread } from './train-thread.js';

export interface TrainOutcome {
  endpoint: string;
  version?: number;
  promoted: boolean;
  reason: string;
  /** Reservoir traces left out: inside an incident's window, or marked abnormal by the training screen. */
  dropped?: { inIncidents: number; screened: number };
}

/**
 * Trains one endpoint's model from its reservoir. The training itself runs off this thread (`run`, by default
 * a thread of its own); here are only its reads and writes. A new version is published, and made active
 * when the task judged it at least as good as the active one (see runTrainTask).
 */
export async function trainEndpoint(
  endpoint: string,
  deps: {
    reservoir: TraceReservoir;
    registry: ModelRegistry;
    minTraces: number;
    train?: Omit<TrainOptions, 'onProgress'>;
    /** Incidents' windows: their traffic is the fault, not the normal a model should learn. */
    abnormal?: () => Promise<readonly AbnormalWindow[]>;
    run?: (task: TrainTask) => Promise<TrainTaskResult>;
  },
): Promise<TrainOutcome> {
  const sample = await deps.reservoir.sampleBytes(endpoint);
  if (sample.count < deps.minTraces)
    return {
      endpoint,
      promoted: false,
      reason: `${sample.count} traces in the reservoir, ${deps.minTraces} needed`,
    };
  const activeVersion = await deps.registry.activeVersion(endpoint);
  const active =
    activeVersion === undefined
      ? undefined
      : { version: activeVersion, files: await deps.registry.files(endpoint, activeVersion) };
  const r = await (deps.run ?? trainInThread)({
    endpoint,
    sample: sample.data,
    abnormal: [...((await deps.abnormal?.()) ?? [])],
    minTraces: deps.minTraces,
    active,
    train: deps.train ?? {},
  });
  if (!r.trained) return { endpoint, promoted: false, reason: r.reason, dropped: r.dropped };
  const version = await deps.registry.publishFiles(endpoint, r.trained.files, r.trained.manifest, r.reason);
  if (r.promoted) await deps.registry.activate(endpoint, version);
  return { endpoint, version, promoted: r.promoted, reason: r.reason, dropped: r.dropped };
}
