import { beforeAll, describe, expect, it } from 'vitest';
import { trainModelSet } from '../../src/scoring/train.js';
import type { ModelSet } from '../../src/scoring/model-set.js';
import { normalTraffic } from '../helpers/traffic.js';
import { extractProfile } from '../../src/features/profile.js';

describe('an anomaly is what the caller felt', () => {
  let model: ModelSet;
  const { traffic, traces } = normalTraffic(21, 400);
  beforeAll(async () => {
    model = await trainModelSet(traces, { seed: 1, autoencoder: false });
  });

  it('leaves a surprising gap inside a request of normal length unflagged, but ranked above normal', () => {
    // cart's call waits 1 ms longer on the wire: far beyond the gap's normal, within the request's.
    const gaps = Array.from({ length: 40 }, () => traffic.checkout({ cartGapUs: 1000 }));
    const scored = model.score(gaps);
    const p = extractProfile(gaps[0]);
    const root = p.callPaths[p.spanCallPath[p.rootSpan]];
    const p99Ms =
      model.baseline.pathStats(p.endpoint.key, root.key, root.service, root.operation)!.durSummary!.p99Us /
      1000;
    const surprising = scored.filter((s) => s.score > model.threshold);
    expect(surprising.length).toBeGreaterThan(30);
    // Flagged exactly when the request itself took longer than 99% of normal ones.
    for (const s of surprising)
      expect(s.anomalous, `${s.durationMs} ms, p99 ${p99Ms}`).toBe(s.durationMs > p99Ms);
    expect(surprising.filter((s) => !s.anomalous).length).toBeGreaterThan(20);
    const normal = model.score(normalTraffic(22, 200).traces);
    const meanOf = (xs: { score: number }[]) => xs.reduce((a, s) => a + s.score, 0) / xs.length;
    expect(meanOf(scored)).toBeGreaterThan(meanOf(normal));
  });

  it('flags errors, changed calls and requests slower than their normal', () => {
    const felt = [
      ...Array.from({ length: 10 }, () => traffic.checkout({ deepError: true })),
      ...Array.from({ length: 10 }, () => traffic.checkout({ unseenCall: true })),
      ...Array.from({ length: 10 }, () => traffic.checkout({ slowLeaf: 20 })),
    ];
    const scored = model.score(felt);
    expect(scored.filter((s) => s.anomalous).length).toBeGreaterThanOrEqual(28);
  });
});
