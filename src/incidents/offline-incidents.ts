import { extractProfile } from '../features/profile.js';
import type { ModelSet } from '../scoring/model-set.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import type { Trace } from '../trace/trace.js';
import type { Incident } from './incident.js';
import type { JudgedMinute } from './incident-engine.js';
import { IncidentRun } from './incident-run.js';

/**
 * What `tracehound incidents` does with the traces it reads, in one place so that the evaluation measures
 * exactly what a user runs: each batch is scored with the model set and added to the run; at the end the
 * minutes are replayed through the incident tracker.
 */
export class OfflineIncidents {
  private readonly run: IncidentRun;
  traces = 0;
  anomalous = 0;

  constructor(private readonly model: ModelSet) {
    this.run = new IncidentRun(model.baseline);
  }

  addBatch(traces: readonly Trace[]): ScoredTrace[] {
    if (traces.length === 0) return [];
    // One profile per trace serves scoring and the incident evidence.
    const profiles = traces.map((t) => extractProfile(t));
    const scored = this.model.score(traces, { profiles });
    scored.forEach((s, i) => {
      this.traces++;
      if (s.anomalous) this.anomalous++;
      this.run.add(traces[i], s, profiles[i]);
    });
    return scored;
  }

  incidents(onMinute?: (minute: number, judged: JudgedMinute) => void): Promise<Incident[]> {
    return this.run.incidents({ onMinute });
  }
}
