import { describe, expect, it } from 'vitest';
import { LogSketch, summarize, toT } from '../../src/detectors/baseline/index.js';

/** 1000 latencies around 10 ms, the slowest `tailShare` of them 20 times slower (a cache miss). */
function sketch(tailShare: number): LogSketch {
  const s = new LogSketch();
  const slow = Math.round(1000 * tailShare);
  for (let i = 0; i < 1000; i++) s.add(i < 1000 - slow ? 9_000 + (i % 100) * 20 : 200_000 + (i % 7) * 1_000);
  return s;
}

const z = (us: number, med: number, spread: number) => (toT(us) - med) / spread;

describe('summarize: the spread', () => {
  it('with tailSpread, a latency as common as the 99th percentile of normal does not rank as extreme', () => {
    const s = sketch(0.03);
    const p99 = s.quantile(0.99);
    const withTail = summarize(s, { scaleFloor: 0.01, tailSpread: true });
    const quartilesOnly = summarize(s, { scaleFloor: 0.01, tailSpread: false });
    expect(z(p99, withTail.med, withTail.tailScale)).toBeLessThanOrEqual(2.33);
    expect(z(p99, withTail.med, withTail.tailScale)).toBeGreaterThan(2.2);
    // The bulk's spread, which says which span is beyond its jitter, stays on the quartiles.
    expect(withTail.scale).toBe(quartilesOnly.scale);
    expect(z(p99, withTail.med, withTail.scale)).toBeGreaterThan(5);
    expect(quartilesOnly.tailScale).toBe(quartilesOnly.scale);
  });

  it('changes nothing where the tail is light', () => {
    const s = sketch(0);
    const a = summarize(s, { scaleFloor: 0.01, tailSpread: true });
    const b = summarize(s, { scaleFloor: 0.01, tailSpread: false });
    expect(a.tailScale).toBe(b.tailScale);
  });
});
