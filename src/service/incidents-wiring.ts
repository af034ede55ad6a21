import type { Config } from '../config.js';
import type { MinuteBucket } from '../incidents/aggregates.js';
import { IncidentEngine } from '../incidents/incident-engine.js';
import { IncidentActions } from '../jobs/incident-actions.js';
import type { IncidentsWiring } from '../jobs/processors/incidents.js';
import { EvidenceStore } from '../store/incident-evidence.js';
import { IncidentStore } from '../store/incidents.js';
import type { RedisClient } from '../store/redis-client.js';
import type { PollerState } from '../sources/state.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';

/** Stored per-minute aggregates, as the signal detectors read them. */
export interface AggregateHistory {
  /** The buckets of the minutes in [from, to] (µs, minute-aligned, inclusive) that hold traffic. */
  buckets(from: number, to: number): Promise<MinuteBucket[]>;
}

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
    async notify(event, follow) {
      const ids = await d.dispatcher.enqueue(event, { follow });
      // Delivery ids are `${event.id}:${webhook id}`, and event ids hold no ':'.
      return ids.map((id) => id.slice(id.lastIndexOf(':') + 1));
    },
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
