import { createHash } from 'node:crypto';
import { UnrecoverableError, type Job, type JobsOptions, type Queue } from 'bullmq';
import { z } from 'zod';
import { packTrace, type CompactTrace } from '../store/reservoir.js';
import type { Trace } from '../trace/trace.js';

/**
 * The service's BullMQ queues as one contract: their names, each job's payload (a zod schema, from which its
 * type comes), job ids, default job options, and the typed ways to add jobs. Producers and processors both
 * go through here, so a payload cannot be written one way and read another.
 */

/** BullMQ queue keys carry a hash tag so that, in a Redis Cluster, each queue lives on one slot. */
export const QUEUE_PREFIX = '{th}';

export const QUEUES = {
  poll: 'poll',
  score: 'score',
  train: 'train',
  maintenance: 'maintenance',
  incidents: 'incidents',
} as const;
export type QueueName = keyof typeof QUEUES;

const name = z.string().min(1);

/** poll/discover: list a source's services and fan out the polls due this slot. */
export const DiscoverPayload = z.object({ source: name });
/** poll/poll: one (source, service) window; `sweep`: a recent sample of a service where no trace begins. */
export const PollPayload = z.object({ source: name, service: name, sweep: z.boolean().optional() });
/**
 * A queued trace: packTrace's object, or its JSON (compactTrace), which jobs queued by an older version
 * carry. Checked only for its shape's top: a deep check would cost as much as the scoring of it.
 */
const QueuedTrace = z.union([
  z.string(),
  z.custom<CompactTrace>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as CompactTrace).t === 'string' &&
      Array.isArray((v as CompactTrace).s),
    'expected a compact trace',
  ),
]);
/**
 * score/score: compact traces (store/reservoir packTrace), and the source they came from ("push" for
 * pushes); or, for pushes, `buffered`: the ids of traces whose spans wait in the push buffer.
 */
export const ScorePayload = z.object({
  source: name.optional(),
  traces: z.array(QueuedTrace),
  buffered: z.array(name).optional(),
});
/** train/train: one endpoint. */
export const TrainPayload = z.object({ endpoint: name });
/** train/retrain-all: these endpoints, or every endpoint with a reservoir. */
export const RetrainPayload = z.object({ endpoints: z.array(name).optional() });
/** maintenance/flush-push, maintenance/prune, incidents/incidents: no payload. */
export const EmptyPayload = z.object({});

export type DiscoverData = z.infer<typeof DiscoverPayload>;
export type PollData = z.infer<typeof PollPayload>;
export type ScoreData = z.infer<typeof ScorePayload>;
export type TrainData = z.infer<typeof TrainPayload>;
export type RetrainData = z.infer<typeof RetrainPayload>;
type EmptyData = z.infer<typeof EmptyPayload>;

/** Each queue's jobs: their names and payloads. */
export interface QueueJobs {
  poll: { discover: DiscoverData; poll: PollData };
  score: { score: ScoreData };
  train: { 'retrain-all': RetrainData; train: TrainData };
  maintenance: { 'flush-push': EmptyData; prune: EmptyData };
  incidents: { incidents: EmptyData };
}

/** A queue whose jobs can only be added with one of its payloads (their names stay strings: BullMQ types schedulers' ids as job names). */
export type TypedQueue<Q extends QueueName> = Queue<QueueJobs[Q][keyof QueueJobs[Q]]>;
export type JobQueues = { [Q in QueueName]: TypedQueue<Q> };
/** A job as a worker receives it: its payload is only known once checked (see payloadOf). */
export type QueueJob = Job<unknown>;

/**
 * A job's payload checked against its schema. A payload that does not match never will: the job fails at
 * once (no retries), saying which job and which field.
 */
export function payloadOf<T>(schema: z.ZodType<T>, queue: QueueName, job: Job): T {
  const r = schema.safeParse(job.data);
  if (r.success) return r.data;
  const what = r.error.issues
    .map((i) => `${i.path.map(String).join('.') || '(payload)'}: ${i.message}`)
    .join('; ');
  throw new UnrecoverableError(`${queue}/${job.name} job ${job.id ?? '?'}: bad payload: ${what}`);
}

/** Job ids must not contain ':' (BullMQ); a digest keeps them short, stable and legal. */
const idOf = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40);

/** Ids that make a job added twice one job: a re-poll of a batch, a second poll in a slot, a cold start. */
export const jobIds = {
  score: (traceIds: readonly string[]) => idOf('score', ...traceIds),
  poll: (source: string, service: string, slot: number) => idOf('poll', source, service, String(slot)),
  coldTrain: (endpoint: string) => idOf('train', endpoint, 'cold'),
};

export const JOB_OPTIONS = {
  // A batch is retried whole; every store it writes counts a trace once (see jobs/pipeline.ts).
  score: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: 1000,
    removeOnFail: 5000,
  },
  poll: { removeOnComplete: 200, removeOnFail: 200 },
  // A sweep reads many intervals at once: it must not hold up the polls fresh traces come from.
  sweep: { priority: 10 },
  train: { removeOnComplete: 100, removeOnFail: 100 },
  coldTrain: { removeOnComplete: true, removeOnFail: 50 },
} satisfies Record<string, JobsOptions>;

/**
 * Queues `traces` for scoring in batches of `size`. `keep`: span attributes the compact copy keeps (the
 * session attributes travel with the queued trace, or the scoring worker could not group it).
 */
export async function enqueueScore(
  queue: TypedQueue<'score'>,
  traces: readonly Trace[],
  source: string | undefined,
  opts: { size: number; keep?: readonly string[] },
): Promise<void> {
  for (let i = 0; i < traces.length; i += opts.size) {
    const batch = traces.slice(i, i + opts.size);
    const data: ScoreData = { source, traces: batch.map((t) => packTrace(t, opts.keep)) };
    await queue.add('score', data, {
      ...JOB_OPTIONS.score,
      jobId: jobIds.score(batch.map((t) => t.traceId)),
    });
  }
}

/** Queues pushed traces that wait in the push buffer for scoring, by id, in batches of `size`. */
export async function enqueueBuffered(
  queue: TypedQueue<'score'>,
  traceIds: readonly string[],
  size: number,
): Promise<void> {
  for (let i = 0; i < traceIds.length; i += size) {
    const batch = traceIds.slice(i, i + size);
    const data: ScoreData = { source: 'push', traces: [], buffered: batch };
    await queue.add('score', data, { ...JOB_OPTIONS.score, jobId: jobIds.score(batch) });
  }
}

/** One poll job per (source, service) due in `slot`. */
export async function enqueuePolls(
  queue: TypedQueue<'poll'>,
  source: string,
  slot: number,
  due: readonly { service: string; sweep?: boolean }[],
): Promise<void> {
  await queue.addBulk(
    due.map(({ service, sweep }) => ({
      name: 'poll' as const,
      data: (sweep ? { source, service, sweep } : { source, service }) satisfies PollData,
      opts: {
        ...(sweep ? JOB_OPTIONS.sweep : {}),
        jobId: jobIds.poll(source, service, slot),
        ...JOB_OPTIONS.poll,
      },
    })),
  );
}

/** Trains an endpoint that has gathered enough traffic for its first model (once, however often asked). */
export async function enqueueColdTrain(queue: TypedQueue<'train'>, endpoint: string): Promise<void> {
  await queue.add('train', { endpoint } satisfies TrainData, {
    ...JOB_OPTIONS.coldTrain,
    jobId: jobIds.coldTrain(endpoint),
  });
}

/** One train job per endpoint. */
export async function enqueueTrains(queue: TypedQueue<'train'>, endpoints: readonly string[]): Promise<void> {
  await queue.addBulk(
    endpoints.map((endpoint) => ({
      name: 'train' as const,
      data: { endpoint } satisfies TrainData,
      opts: JOB_OPTIONS.train,
    })),
  );
}

/** Retrain now: the given endpoints, or every endpoint with a reservoir; returns the job's id. */
export async function enqueueRetrain(
  queue: TypedQueue<'train'>,
  endpoints?: readonly string[],
): Promise<string> {
  const data: RetrainData = { endpoints: endpoints && [...endpoints] };
  const job = await queue.add('retrain-all', data, JOB_OPTIONS.train);
  return job.id ?? '';
}
