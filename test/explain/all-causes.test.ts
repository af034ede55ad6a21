import { describe, expect, it } from 'vitest';
import { trainBaseline } from '../../src/detectors/baseline/index.js';
import { explainTrace, topCauses } from '../../src/explain/index.js';
import { extractProfile } from '../../src/features/profile.js';
import type { Trace } from '../../src/trace/trace.js';
import { normalTraffic } from '../helpers/traffic.js';

const { traffic, traces } = normalTraffic(3, 300);
const model = trainBaseline(traces);

describe('every candidate cause (explain all)', () => {
  const faulty: Trace[] = [
    traffic.checkout({ slowLeaf: 12 }),
    traffic.checkout({ slowRoot: 20 }),
    traffic.checkout({ deepError: true }),
    traffic.home({ nPlusOne: 25 }),
    traffic.checkout({ unseenCall: true }),
    traffic.checkout({ missingLeaf: true }),
    traffic.checkout({ cartGapUs: 150_000 }),
    // Several mild faults at once: besides the main causes, slivers of blame under 2%.
    traffic.checkout({ slowLeaf: 5, slowRoot: 1.5, cartGapUs: 2000 }),
    traffic.checkout({ slowLeaf: 20, slowRoot: 1.5, cartGapUs: 1000 }),
    traffic.checkout({ slowLeaf: 5, slowRoot: 3, cartGapUs: 1000, unseenCall: true }),
  ];

  it('ranks them all, shares summing to at most 1; the default list is their head, cut at 2% or ten', () => {
    let longer = 0;
    for (const t of faulty) {
      const p = extractProfile(t);
      const all = explainTrace(t, p, model, { all: true });
      const top = explainTrace(t, p, model);
      expect(top).toEqual(all.slice(0, top.length));
      expect(topCauses(all)).toEqual(top);
      let sum = 0;
      all.forEach((c, k) => {
        expect(c.evidence.length).toBeGreaterThan(0);
        if (k > 0) expect(c.contribution).toBeLessThanOrEqual(all[k - 1].contribution);
        sum += c.contribution;
      });
      expect(sum).toBeLessThanOrEqual(1 + 1e-9);
      const rest = all.slice(top.length);
      if (rest.length) longer++;
      if (top.length < 10) for (const c of rest) expect(c.contribution).toBeLessThan(0.02);
    }
    // Some of these faults do have causes the default leaves out: the comparison above is not vacuous.
    expect(longer).toBeGreaterThan(0);
  });

  it('topCauses honours its own cut and cap', () => {
    const all = explainTrace(faulty[0], extractProfile(faulty[0]), model, { all: true });
    expect(topCauses(all, { maxCauses: 1 })).toEqual(all.slice(0, 1));
    expect(topCauses(all, { minContribution: 0 })).toEqual(all.slice(0, 10));
    expect(topCauses(all, { minContribution: 2 })).toEqual([]);
  });
});
