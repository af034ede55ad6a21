import type { Config } from '../config.js';
import type { MinuteBucket } from '../incidents/aggregates.js';
import { MINUTE_US, type Signal } from '../incidents/signal.js';
import { DEFAULT_SIGNAL_OPTIONS, detectSignals, type SignalOptions } from '../incidents/signals.js';
import type { IncidentsWiring } from '../jobs/job-system.js';
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

/**
 * Signals of one minute, each target judged against its own stored history before it. The job judges
 * minutes in order, so the history is kept between calls and only the minute judged is read each time
 * (history minutes were closed, and judged, before it).
 */
export function signalsFrom(
  history: AggregateHistory,
  options: Partial<SignalOptions> = {},
): (minute: number) => Promise<Signal[]> {
  const back = (options.historyMinutes ?? DEFAULT_SIGNAL_OPTIONS.historyMinutes) * MINUTE_US;
  const held = new Map<number, MinuteBucket | null>();
  return async (minute) => {
    const from = minute - back;
    for (const m of held.keys()) if (m < from || m >= minute) held.delete(m);
    let first = minute;
    for (let m = from; m < minute; m += MINUTE_US)
      if (!held.has(m)) {
        first = m;
        break;
      }
    const read = new Map((await history.buckets(first, minute)).map((b) => [b.minute, b]));
    for (let m = first; m < minute; m += MINUTE_US) held.set(m, read.get(m) ?? null);
    const buckets = [...held.values()].filter((b): b is MinuteBucket => b !== null);
    const current = read.get(minute);
    if (current) buckets.push(current);
    return detectSignals(buckets, options, minute);
  };
}

export interface IncidentsParts {
  store: IncidentStore;
  evidence: EvidenceStore;
  wiring: IncidentsWiring;
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
  return {
    store,
    evidence,
    wiring: {
      store,
      pollState: d.pollState,
      everyS: c.TRACEHOUND_INCIDENT_INTERVAL,
      job: {
        evidence,
        signals: signalsFrom(d.history),
        async notify(event, follow) {
          const ids = await d.dispatcher.enqueue(event, { follow });
          // Delivery ids are `${event.id}:${webhook id}`, and event ids hold no ':'.
          return ids.map((id) => id.slice(id.lastIndexOf(':') + 1));
        },
        options: { delayS: c.TRACEHOUND_INCIDENT_DELAY },
        log: d.log,
      },
    },
  };
}
