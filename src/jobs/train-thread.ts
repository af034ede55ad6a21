import { Worker } from 'node:worker_threads';
import type { ModelFiles } from '../registry/model-files.js';
import type { TrainTask, TrainTaskResult } from './train-task.js';

/**
 * A thread for the entry beside this file: the built .js in production; the .ts source under tsx or vitest,
 * where the thread must load tsx's loader itself before it can import TypeScript (a worker does not
 * inherit the loader hooks of the thread that started it).
 */
function startThread(name: string, workerData: unknown, transferList: ArrayBuffer[]): Worker {
  const here = import.meta.url;
  const opts = { workerData, transferList };
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), opts);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, ...opts });
}

/** Buffers arrive as plain Uint8Arrays (structured clone keeps no Buffer prototype). */
export function asBuffers(files: Map<string, Uint8Array>): ModelFiles {
  return new Map([...files].map(([path, b]) => [path, Buffer.from(b.buffer, b.byteOffset, b.byteLength)]));
}

/**
 * Runs a training task on a thread of its own, so the event loop of the process (its HTTP API, its other
 * workers' Redis traffic and lock renewals) keeps turning while a model trains for seconds. One thread per
 * task: TensorFlow's memory goes with it, and a crash fails only that job.
 */
export function trainInThread(task: TrainTask): Promise<TrainTaskResult> {
  return new Promise((resolve, reject) => {
    // The sample's memory moves to the thread instead of being copied (task.sample is unusable after).
    const owned = task.sample.byteOffset === 0 && task.sample.byteLength === task.sample.buffer.byteLength;
    const transfer = owned && task.sample.buffer instanceof ArrayBuffer ? [task.sample.buffer] : [];
    const thread = startThread('train-worker', task, transfer);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void thread.terminate();
    };
    thread.once('message', (m: { result?: TrainTaskResult; error?: string }) =>
      settle(() =>
        m.result
          ? resolve({
              ...m.result,
              trained: m.result.trained && {
                ...m.result.trained,
                files: asBuffers(m.result.trained.files),
              },
            })
          : reject(new Error(`training ${task.endpoint}: ${m.error}`)),
      ),
    );
    thread.once('error', (err) => settle(() => reject(err)));
    thread.once('exit', (code) =>
      settle(() =>
        reject(new Error(`training ${task.endpoint}: the thread exited (code ${code}) without a result`)),
      ),
    );
  });
}
