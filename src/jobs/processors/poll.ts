import type { Poller } from '../../sources/poller.js';
import type { Trace } from '../../trace/trace.js';
import type { JobMetrics } from '../job-metrics.js';
import {
  DiscoverPayload,
  PollPayload,
  enqueuePolls,
  payloadOf,
  type QueueJob,
  type TypedQueue,
} from '../queues.js';

export interface PollProcessorDeps {
  /** None when no source is configured: poll jobs then do nothing. */
  poller?: Poller;
  queue: TypedQueue<'poll'>;
  pollIntervalS: number;
  enqueueScore: (traces: Trace[], source: string) => Promise<void>;
  metrics: Pick<JobMetrics, 'polled' | 'pollLag' | 'pollErrors' | 'pollSkipped'>;
  log: (msg: string) => void;
}

/**
 * The poll queue: `discover` (a scheduler per source) finds the source's services and fans out one `poll` job
 * per (source, service) due this slot; `poll` reads one service's new traces and queues them for scoring.
 */
export function pollProcessor(d: PollProcessorDeps): (job: QueueJob) => Promise<unknown> {
  return async (job) => {
    const poller = d.poller;
    if (!poller) return;
    if (job.name === 'discover') return discover(poller, d, payloadOf(DiscoverPayload, 'poll', job).source);
    const { source, service, sweep } = payloadOf(PollPayload, 'poll', job);
    const r = await poller.pollOnce(
      source,
      service,
      Date.now() * 1000,
      (traces) => d.enqueueScore(traces, source),
      sweep ? 'sweep' : 'poll',
    );
    // A sweep leaves the watermark where it was: its lag says nothing.
    if (!sweep) d.metrics.pollLag.set({ source, service }, r.stats.lagUs / 1e6);
    if (r.stats.skipped === 'backoff' || r.stats.skipped === 'breaker-open')
      d.metrics.pollSkipped.inc({ source, reason: r.stats.skipped });
    if (r.stats.error) {
      d.metrics.pollErrors.inc({ source });
      d.log(`poll ${source}/${service}: ${r.stats.error}`);
    }
    d.metrics.polled.inc({ source }, r.newTraces.length);
    return { newTraces: r.newTraces.length, lagS: r.stats.lagUs / 1e6 };
  };
}

async function discover(poller: Poller, d: PollProcessorDeps, source: string) {
  const { services, error, skipped } = await poller.discover(source, Date.now() * 1000);
  // A failed discovery is the source failing as much as a failed search, and it can open the breaker before
  // any search has failed: counted with them, so that the errors metric shows an outage whichever came first.
  if (skipped) d.metrics.pollSkipped.inc({ source, reason: skipped });
  if (error) {
    d.metrics.pollErrors.inc({ source });
    d.log(`discover ${source}: ${error}`);
  }
  const slot = Math.floor(Date.now() / (d.pollIntervalS * 1000));
  const due = await poller.due(source, slot, Date.now());
  await enqueuePolls(d.queue, source, slot, due);
  return { services: services.length, polled: due.length };
}
