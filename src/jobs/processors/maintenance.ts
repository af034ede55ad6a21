import type { AnomalyStore } from '../../store/anomalies.js';
import type { IncidentStore } from '../../store/incidents.js';
import type { SpanBuffer } from '../../store/span-buffer.js';
import { normalizeTrace } from '../../trace/normalize.js';
import type { Trace } from '../../trace/trace.js';
import type { QueueJob } from '../queues.js';

export interface MaintenanceProcessorDeps {
  anomalies: Pick<AnomalyStore, 'prune' | 'migrateLegacyIndex'>;
  incidents?: Pick<IncidentStore, 'prune'>;
  spanBuffer: Pick<SpanBuffer, 'settled' | 'remove'>;
  enqueueScore: (traces: Trace[], source: string) => Promise<void>;
  settings: { pushSettleS: number; retentionS: number; retentionMax: number };
}

/**
 * The maintenance queue: `flush-push` hands pushed traces that have settled to scoring (queued before they
 * leave the buffer, so a crash in between scores them twice, which counts once, rather than never); `prune`
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
    const settled = await d.spanBuffer.settled(Date.now(), d.settings.pushSettleS * 1000);
    if (settled.length === 0) return { traces: 0 };
    await d.enqueueScore(
      settled.map((t) => normalizeTrace(t.traceId, t.spans)),
      'push',
    );
    await d.spanBuffer.remove(settled.map((t) => t.traceId));
    return { traces: settled.length };
  };
}
