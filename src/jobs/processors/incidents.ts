import type { TraceSource } from '../../sources/source.js';
import type { PollerState } from '../../sources/state.js';
import type { IncidentStore } from '../../store/incidents.js';
import type { IncidentJudging } from '../incident-job-state.js';
import { runIncidentJob } from '../incidents-job.js';
import { ingestProgress } from '../ingest-progress.js';
import type { JobMetrics } from '../job-metrics.js';
import type { TypedQueue } from '../queues.js';

/** The per-minute incident job's wiring; without it no incident job is scheduled or run. */
export interface IncidentsWiring {
  job: IncidentJudging;
  store: IncidentStore;
  /** The pollers' watermarks, so minutes are judged only once their polled traces are scored. */
  pollState?: PollerState;
  everyS: number;
}

export interface IncidentsProcessorDeps {
  wiring: IncidentsWiring;
  sources: readonly Pick<TraceSource, 'name' | 'services'>[];
  /** Read for the oldest batch not scored yet: a minute waits for its traces. */
  scoreQueue: TypedQueue<'score'>;
  metrics: Pick<JobMetrics, 'incidents'>;
}

/** The incidents queue: judges the minutes that have closed (jobs/incidents-job.ts). */
export function incidentsProcessor(d: IncidentsProcessorDeps): () => Promise<unknown> {
  return async () => {
    const w = d.wiring;
    const r = await runIncidentJob({
      ...w.job,
      store: w.store,
      progress: () => ingestProgress(w.pollState, d.sources, d.scoreQueue),
    });
    d.metrics.incidents.inc({ event: 'opened' }, r.opened);
    d.metrics.incidents.inc({ event: 'updated' }, r.updated);
    d.metrics.incidents.inc({ event: 'resolved' }, r.resolved);
    return r;
  };
}
