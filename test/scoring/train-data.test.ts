import { describe, expect, it } from 'vitest';
import { trainBaseline, trainBaselineOn } from '../../src/detectors/baseline/index.js';
import { scalarFeatures } from '../../src/features/catalogue.js';
import { extractProfile } from '../../src/features/profile.js';
import { TrainingData } from '../../src/scoring/train-data.js';
import { screenTraining } from '../../src/scoring/screen.js';
import { generate } from '../../src/sim/index.js';
import { normalizeTrace } from '../../src/trace/normalize.js';

/** Errors (with error children and without), lost spans (orphans, missing roots) and normal traffic. */
function traces() {
  return ['shop-errors', 'shop-lost-spans', 'chain-errors'].flatMap((s) =>
    generate(s, { seed: 3, durationS: 225 }).traces.map((spans) => normalizeTrace(spans[0].traceId, spans)),
  );
}

describe('TrainingData keeps what training reads of a trace, and nothing else', () => {
  const all = traces();
  const data = TrainingData.from(all);
  const profiles = all.map((t) => extractProfile(t));

  it('gives back each trace and profile as the baseline reads them, value for value', () => {
    expect(all.some((t) => t.orphans.length > 0)).toBe(true);
    expect(
      all.some((t) => t.spans.some((s, i) => s.error && t.parent[i] >= 0 && t.spans[t.parent[i]].error)),
    ).toBe(true);
    expect(data.length).toBe(all.length);
    expect(data.spans).toBe(all.reduce((n, t) => n + t.spans.length, 0));
    all.forEach((t, i) => {
      const p = profiles[i];
      const view = data.view(i);
      expect(view.trace.spans).toEqual(t.spans.map((s) => ({ duration: s.duration, error: s.error })));
      expect(view.trace.parent).toEqual(t.parent);
      expect(view.trace.order).toEqual(t.order);
      expect(view.profile).toEqual({
        endpoint: p.endpoint,
        startUs: p.startUs,
        orphans: p.orphans,
        rootMissing: p.rootMissing,
        rootSpan: p.rootSpan,
        callPaths: p.callPaths,
        networkHops: p.networkHops,
        spanCallPath: p.spanCallPath,
        selfTimeUs: p.selfTimeUs,
        scalarFeatures: scalarFeatures(p),
      });
      expect(data.endpointKey(i)).toBe(p.endpoint.key);
      expect(data.spanCount(i)).toBe(t.spans.length);
    });
  });

  it('trains and scores the baseline exactly as the traces themselves do', () => {
    const fromTraces = trainBaseline(all, {}, profiles);
    const fromData = trainBaselineOn(data.length, (i) => data.view(i));
    expect(JSON.stringify(fromData.toJSON())).toBe(JSON.stringify(fromTraces.toJSON()));
    all.forEach((t, i) => {
      const v = data.view(i);
      expect(fromData.score(v.trace, v.profile)).toEqual(fromTraces.score(t, profiles[i]));
    });
  });

  it('screens the same traces', () => {
    const marks = screenTraining(profiles);
    expect(screenTraining(data)).toEqual(marks);
  });
});
