import type { Queue } from 'bullmq';
import type { TraceSource } from '../sources/source.js';
import type { PollerState } from '../sources/state.js';
import type { IngestProgress } from './incident-job-state.js';

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

/** How long a service counts as one where traces begin after its last such trace (the poller's default). */
const ROOTS_MS = 86_400_000;

/**
 * How far polled traces have reached scoring: the lowest watermark among the services the pollers keep up
 * with (those where traces begin, or, before any is known, every service the backend lists), read before
 * the scoring queue is looked at (the order closedUntil relies on). Such a service not polled yet means
 * nothing is known (null): judging then would miss its traces.
 */
export async function ingestProgress(
  state: PollerState | undefined,
  sources: readonly Pick<TraceSource, 'name' | 'services'>[],
  scoreQueue: Queue,
  now: () => number = Date.now,
): Promise<IngestProgress> {
  let watermark: number | null | undefined;
  if (state !== undefined && sources.length > 0) {
    const nowMs = now();
    const staleBefore = nowMs * 1000 - STALE_US;
    let lowest = Infinity;
    let unknown = false;
    for (const source of sources) {
      const marks = await state.watermarks(source.name);
      let services = await state.roots(source.name, nowMs - ROOTS_MS);
      if (services.length === 0) services = await source.services().catch(() => []);
      if (services.length === 0) unknown = true;
      for (const service of services) {
        const w = marks.get(service);
        if (w === undefined) unknown = true;
        else if (w >= staleBefore && w < lowest) lowest = w;
      }
    }
    watermark = unknown || lowest === Infinity ? null : lowest;
  }
  const readAt = now();
  return { watermark, readAt, oldestPendingAt: await oldestPending(scoreQueue) };
}
