import { describe, expect, it } from 'vitest';
import { generate } from '../../src/sim/generate.js';

describe('simulated sessions', () => {
  it('put session.id on the root span of about half the traces, the same for the same seed', () => {
    const run = (seed: number) => generate('shop-normal', { seed, durationS: 240 }).traces;
    const sessionsOf = (traces: ReturnType<typeof run>) =>
      traces.map((spans) => spans.find((s) => s.parentId === undefined)?.attributes['session.id']);
    const traces = run(4);
    const ids = sessionsOf(traces);
    const share = ids.filter((x) => x !== undefined).length / traces.length;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    // Only root spans carry it.
    expect(traces.flat().filter((s) => s.parentId !== undefined && s.attributes['session.id'])).toEqual([]);
    // Visits of a few minutes: many traces per session, sessions change as time goes on.
    const per = new Map<unknown, number>();
    for (const id of ids) if (id !== undefined) per.set(id, (per.get(id) ?? 0) + 1);
    expect(per.size).toBeGreaterThanOrEqual(45);
    expect(Math.min(...per.values())).toBeGreaterThan(3);
    expect(sessionsOf(run(4))).toEqual(ids);
    expect(sessionsOf(run(5))).not.toEqual(ids);
  });
});
