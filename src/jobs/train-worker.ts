/**
 * Entry of a training thread (started by train-thread.ts): runs one task from workerData and posts back its
 * result or its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainTask, type TrainTask } from './train-task.js';
import { asBuffers } from './train-thread.js';

const task = workerData as TrainTask;
if (task.active) task.active.files = asBuffers(task.active.files);
runTrainTask(task).then(
  (result) => parentPort!.postMessage({ result }),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);
