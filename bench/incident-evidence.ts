/**
 * What incident evidence adds to scoring: the scoring pipeline builds per-minute ShiftEvidence for every
 * scored trace (a pass over its spans against the baseline, sharing scoring's feature extraction).
 * Measured beside scoring alone on the simulated shop at 50 traces/s, with the size of one minute's evidence as
 * the Redis hash keeps it (JSON).
 */
import { extractProfile } from '../src/features/profile.js';
import { ShiftEvidence } from '../src/incidents/shift-evidence.js';
import { minuteOf } from '../src/traffic/minute.js';
import { trainModelSet } from '../src/scoring/train.js';
import { generate } from '../src/sim/generate.js';
import { getScenario } from '../src/sim/scenarios.js';
import { normalizeTrace } from '../src/trace/normalize.js';
import type { Trace } from '../src/trace/trace.js';
import { median } from '../src/detectors/median.js';
import { timeIt } from './timing.js';

function shop(name: string, rate: number, durationS: number, seed: number): Trace[] {
  const sc = getScenario(name);
  const g = generate({ ...sc, workload: { ...sc.workload, rate } }, { seed, durationS });
  return g.traces.map((spans) => normalizeTrace(spans[0].traceId, spans));
}

export async function runIncidentEvidenceBench(runs = 5): Promise<Record<string, number>> {
  const model = await trainModelSet(shop('shop-normal', 20, 240, 5), { seed: 1, autoencoder: false });
  try {
    const traces = shop('shop-errors', 50, 300, 9);
    const spans = traces.reduce((n, t) => n + t.spans.length, 0);
    const scoreMs: number[] = [];
    const withEvidenceMs: number[] = [];
    let perMinute = new Map<number, ShiftEvidence>();
    for (let r = 0; r < runs; r++) {
      scoreMs.push(timeIt(() => model.score(traces)));
      perMinute = new Map();
      const into = perMinute;
      // As the pipeline does it: one feature extraction serves scoring and evidence.
      withEvidenceMs.push(
        timeIt(() => {
          const profiles = traces.map((t) => extractProfile(t));
          const scored = model.score(traces, { profiles });
          for (let i = 0; i < traces.length; i++) {
            const m = minuteOf(traces[i].start);
            let ev = into.get(m);
            if (ev === undefined) into.set(m, (ev = new ShiftEvidence()));
            ev.add(traces[i], profiles[i], scored[i], model.baseline);
          }
        }),
      );
    }
    const minutes = [...perMinute.keys()].sort((a, b) => a - b).slice(0, -1);
    const sizes = minutes.map((m) => JSON.stringify(perMinute.get(m)!.toJSON()).length);
    return {
      traces: traces.length,
      spans,
      scoreSpansPerSecond: spans / (median(scoreMs) / 1000),
      withEvidenceSpansPerSecond: spans / (median(withEvidenceMs) / 1000),
      evidenceOverhead: median(withEvidenceMs) / median(scoreMs) - 1,
      minuteEvidenceKB: median(sizes) / 1024,
    };
  } finally {
    model.dispose();
  }
}
