import type { Queue } from 'bullmq';
import type { PollerState } from '../sources/state.js';
import type { IngestProgress } from './incidents-job.js';

/**
 * Watermarks further behind than this are left out: a service that vanished from a source keeps its last
 * watermark forever, and it must not hold every later minute back. Matches how long per-minute evidence is
 * kept, beyond which a minute could not be judged fully anyway.
 */
const STALE_US = 2 * 3600 * 1e6;

const LISTS = ['active', 'wait', 'waiting-children'] as const;
const SETS = ['delayed', 'prioritized'] as const;
/** Jobs read from a sorted-set state to find its oldest (retries and priorities are few). */
const SET_SCAN = 100;

/** Enqueue time (ms) of the oldest job of `queue` that has not finished; undefined when none is pending. */
export async function oldestPending(queue: Queue): Promise<number | undefined> {
  const counts = await queue.getJobCounts(...LISTS, ...SETS);
  let oldest: number | undefined;
  const see = (jobs: { timestamp: number }[]) => {
    for (const j of jobs) if (oldest === undefined || j.timestamp < oldest) oldest = j.timestamp;
  };
  for (const t of LISTS) {
    if (!counts[t]) continue;
    // A list is FIFO, so its oldest job sits at one end; both ends are read rather than relying on which.
    see(await queue.getJobs([t], 0, 0, true));
    see(await queue.getJobs([t], 0, 0, false));
  }
  for (const t of SETS) if (counts[t]) see(await queue.getJobs([t], 0, SET_SCAN - 1, true));
  return oldest;
}

/**
 * How far polled traces have reached scoring: the lowest recent poll watermark of the given sources, read
 * before the scoring queue is looked at (the order closedUntil relies on).
 */
export async function ingestProgress(
  state: PollerState | undefined,
  sources: readonly string[],
  scoreQueue: Queue,
  now: () => number = Date.now,
): Promise<IngestProgress> {
  let watermark: number | null | undefined;
  if (state !== undefined && sources.length > 0) {
    watermark = null;
    const staleBefore = now() * 1000 - STALE_US;
    for (const source of sources)
      for (const w of (await state.watermarks(source)).values())
        if (w >= staleBefore && (watermark === null || w < watermark)) watermark = w;
  }
  const readAt = now();
  return { watermark, readAt, oldestPendingAt: await oldestPending(scoreQueue) };
}
