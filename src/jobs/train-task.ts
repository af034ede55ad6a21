import type { Trace } from '../trace/trace.js';
import { trainModelSet, type TrainOptions } from '../scoring/train.js';
import type { ModelSet, ModelSetManifest } from '../scoring/model-set.js';
import { artifactsToFiles, modelSetFromFiles, type ModelFiles } from '../registry/model-files.js';
import { splitCompactTraces } from '../store/reservoir.js';
import { Prng } from '../detectors/prng.js';

/**
 * The CPU-bound part of training an endpoint, as plain data in and out so that it can run on another thread
 * (see train-thread.ts): the reservoir's sample as stored, the active version's files to compare with.
 */
export interface TrainTask {
  endpoint: string;
  /** The reservoir's sample as TraceReservoir.sampleBytes reads it: one buffer crosses threads without a copy. */
  sample: Uint8Array;
  /** Incidents' windows (µs): traces starting inside are the fault, not the normal to learn. */
  abnormal: readonly AbnormalWindow[];
  /** Fewer traces than this left outside the windows: no model. */
  minTraces: number;
  active?: { version: number; files: ModelFiles };
  /** Without onProgress: a function cannot cross to another thread. */
  train: Omit<TrainOptions, 'onProgress'>;
}

export interface TrainTaskResult {
  /** Undefined when too few traces were left to train on. */
  trained?: { files: ModelFiles; manifest: ModelSetManifest };
  promoted: boolean;
  reason: string;
  /** Traces left out: inside an incident's window, or marked abnormal by the training screen. */
  dropped: { inIncidents: number; screened: number };
}

/** A time range whose traffic is known to be abnormal, µs. */
export interface AbnormalWindow {
  fromUs: number;
  toUs: number;
}

/** The share of held-out normal traffic a model flags: its false-positive rate there. */
function flagRate(model: ModelSet, heldOut: Trace[]): number {
  if (heldOut.length === 0) return 0;
  return model.score(heldOut).filter((s) => s.anomalous).length / heldOut.length;
}

/**
 * One standard error of a false-positive rate measured on n held-out traces. Two models whose errors differ by
 * less cannot be told apart; the candidate saw the newer traffic, so it wins that tie (a fixed margin would
 * block retrains on small samples and let worse models through on large ones).
 */
export function fprNoise(targetFpr: number, n: number): number {
  return n > 0 ? Math.sqrt((targetFpr * (1 - targetFpr)) / n) : Infinity;
}

/**
 * Trains a candidate on 80% of the sample and judges it on the rest: promoted when the endpoint has no
 * active model or the candidate does as well on the same held-out traffic: its false-positive rate no further
 * from the target than the active one's, give or take one standard error of that rate on the held-out sample.
 */
export async function runTrainTask(task: TrainTask): Promise<TrainTaskResult> {
  const all = splitCompactTraces(task.sample);
  const sample = all.filter((t) => !task.abnormal.some((w) => t.start >= w.fromUs && t.start <= w.toUs));
  const inIncidents = all.length - sample.length;
  if (sample.length < task.minTraces)
    return {
      promoted: false,
      reason: `${sample.length} traces in the reservoir outside incidents, ${task.minTraces} needed`,
      dropped: { inIncidents, screened: 0 },
    };
  const order = new Prng(task.train.seed ?? 1).shuffle(sample);
  const cut = Math.floor(order.length * 0.8);
  const fit = order.slice(0, cut);
  const heldOut = order.slice(cut);
  const candidate = await trainModelSet(fit, {
    minEndpointTraces: Math.min(200, Math.floor(fit.length / 2)),
    ...task.train,
  });
  try {
    const targetFpr = candidate.manifest.targetFpr;
    const newRate = flagRate(candidate, heldOut);
    // How far from the rate asked for: lower is better.
    const newErr = Math.abs(newRate - targetFpr);
    // Kept in the manifest so that whoever picks a version by hand later sees what the choice was made on.
    const judged: Record<string, number> = { heldOutTraces: heldOut.length, heldOutFlagRate: newRate };
    let promoted = true;
    let reason = 'first model of this endpoint';
    if (task.active) {
      const { version, files } = task.active;
      const active = await modelSetFromFiles(
        async (path) => files.get(path),
        `model ${task.endpoint} v${version}`,
      ).catch(() => undefined);
      if (!active) reason = `active v${version} could not be loaded`;
      else {
        const oldRate = flagRate(active, heldOut);
        const oldErr = Math.abs(oldRate - targetFpr);
        active.dispose();
        const noise = fprNoise(targetFpr, heldOut.length);
        Object.assign(judged, { activeHeldOutFlagRate: oldRate, heldOutNoise: noise });
        promoted = newErr <= oldErr + noise;
        reason = `held-out false-positive error ${newErr.toFixed(4)} vs active ${oldErr.toFixed(4)} (noise ±${noise.toFixed(4)} over ${heldOut.length} traces)`;
      }
    }
    Object.assign(candidate.manifest.metrics, judged);
    const files = artifactsToFiles(await candidate.toArtifacts());
    const screened = candidate.manifest.metrics.screenedTraces ?? 0;
    return {
      trained: { files, manifest: candidate.manifest },
      promoted,
      reason,
      dropped: { inIncidents, screened },
    };
  } finally {
    candidate.dispose();
  }
}
