import type { AnomalyStore } from '../../store/anomalies.js';
import type { IncidentStore } from '../../store/incidents.js';
import type { SpanBuffer } from '../../store/span-buffer.js';
import type { QueueJob } from '../queues.js';

export interface MaintenanceProcessorDeps {
  anomalies: Pick<AnomalyStore, 'prune' | 'migrateLegacyIndex'>;
  incidents?: Pick<IncidentStore, 'prune'>;
  spanBuffer: Pick<SpanBuffer, 'settledIds' | 'claim' | 'lockDrain'>;
  /** Queues scoring jobs for pushed traces by id: their spans stay in the buffer until scored. */
  enqueueBuffered: (traceIds: string[]) => Promise<void>;
  /** Score jobs waiting: past MAX_SCORE_BACKLOG the flush stops, and the buffer (so 503s to senders) fills. */
  scoreBacklog?: () => Promise<number>;
  settings: { pushSettleS: number; retentionS: number; retentionMax: number };
}

/** Settled traces read from the buffer at once, and how long one flush job may go on draining. */
const FLUSH_PAGE = 500;
const FLUSH_BUDGET_MS = 10_000;
/** Score jobs waiting beyond which settled traces stay in the buffer, which is bounded. */
const MAX_SCORE_BACKLOG = 50;
/** The drain's lease: past the budget with room for a slow page; extended at every page. */
const DRAIN_LOCK_MS = FLUSH_BUDGET_MS + 20_000;

/**
 * The maintenance queue: `flush-push` hands pushed traces that have settled to scoring by id (queued before
 * they leave the settled list, so a crash in between scores them twice, which counts once, rather than
 * never; their spans stay in the buffer until the score job has scored them); `prune`
 * applies retention to the anomalies and incidents.
 */
export function maintenanceProcessor(d: MaintenanceProcessorDeps): (job: QueueJob) => Promise<unknown> {
  return async (job) => {
    if (job.name === 'prune') {
      const retention = { maxAgeS: d.settings.retentionS, maxCount: d.settings.retentionMax };
      const anomalies = await d.anomalies.prune(retention);
      const reindexed = await d.anomalies.migrateLegacyIndex();
      return { ...anomalies, reindexed, incidents: await d.incidents?.prune(retention) };
    }
    // Drains what has settled, a page at a time: one page per run would cap push intake at a page per
    // flush interval. The time budget leaves the queue's other jobs (prune) their turn under a flood; the
    // backlog check keeps a flood in the bounded buffer rather than in an unbounded score queue.
    const lock = await d.spanBuffer.lockDrain(DRAIN_LOCK_MS);
    // Another worker is draining: what it leaves, the next flush takes.
    if (!lock) return { traces: 0, busy: true };
    const started = Date.now();
    let traces = 0;
    try {
      for (;;) {
        if (d.scoreBacklog && (await d.scoreBacklog()) > MAX_SCORE_BACKLOG) break;
        const now = Date.now();
        const settled = await d.spanBuffer.settledIds(now, d.settings.pushSettleS * 1000, FLUSH_PAGE);
        if (settled.length === 0) break;
        await d.enqueueBuffered(settled);
        await d.spanBuffer.claim(settled);
        traces += settled.length;
        if (settled.length < FLUSH_PAGE || now - started > FLUSH_BUDGET_MS) break;
        // A lease lost (this process stalled past it) may be another drain's now: stop rather than race it.
        if (!(await lock.extend())) break;
      }
    } finally {
      await lock.release().catch(() => undefined);
    }
    return { traces };
  };
}
