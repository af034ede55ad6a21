import type { Config } from '../config.js';
import type { AggregateHistory } from '../traffic/minute-buckets.js';
import { IncidentEngine } from '../incidents/incident-engine.js';
import { IncidentActions } from '../jobs/incident-actions.js';
import type { IncidentsWiring } from '../jobs/processors/incidents.js';
import { EvidenceStore } from '../store/incident-evidence.js';
import { IncidentStore } from '../store/incidents.js';
import type { RedisClient } from '../store/redis-client.js';
import type { PollerState } from '../sources/state.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';

export interface IncidentsParts {
  store: IncidentStore;
  evidence: EvidenceStore;
  wiring: IncidentsWiring;
  /** Acknowledge and resolve by hand, through the job's lock and webhook bookkeeping. */
  actions: IncidentActions;
}

/** The incident store, the evidence store and the incident job's wiring, from the configuration. */
export function incidentsWiring(
  c: Config,
  d: {
    redis: RedisClient;
    dispatcher: WebhookDispatcher;
    history: AggregateHistory;
    pollState?: PollerState;
    log: (msg: string) => void;
  },
): IncidentsParts {
  const store = new IncidentStore(d.redis, { maxAgeS: c.TRACEHOUND_RETENTION_DAYS * 86400 });
  const evidence = new EvidenceStore(d.redis, { warn: d.log });
  const job: IncidentsWiring['job'] = {
    engine: new IncidentEngine({
      evidence: (from, to) => evidence.range(from, to),
      buckets: (from, to) => d.history.buckets(from, to),
    }),
    judged: (minute) => evidence.compact(minute),
    notify: (event, follow) => d.dispatcher.tell(event, { follow }),
    options: { delayS: c.TRACEHOUND_INCIDENT_DELAY },
    log: d.log,
  };
  return {
    store,
    evidence,
    wiring: { store, pollState: d.pollState, everyS: c.TRACEHOUND_INCIDENT_INTERVAL, job },
    actions: new IncidentActions({ ...job, store }),
  };
}
