import { describe, expect, it } from 'vitest';
import { extractProfile } from '../../src/features/profile.js';
import { screenTraining } from '../../src/scoring/screen.js';
import { trainModelSet } from '../../src/scoring/train.js';
import type { Trace } from '../../src/trace/trace.js';
import { queryTraces } from '../helpers/query-traces.js';

const { trace, many } = queryTraces();
const profiles = (ts: Trace[]) => ts.map((t) => extractProfile(t));
const count = (marks: Uint8Array) => marks.reduce((n, a) => n + a, 0);

describe('training leaves out what its own statistics call abnormal', () => {
  it('leaves out the stretch of time a slow fault covered, not slow traces of normal traffic', () => {
    // For the last fifth of the window, queries four times as slow. A normal tail: every 100th query too.
    const normal = Array.from({ length: 960 }, (_, i) => trace(i % 100 === 0 ? 4 : 1));
    const fault = many(240, 4);
    const abnormal = screenTraining(profiles([...normal, ...fault]));
    expect(count(abnormal.subarray(normal.length))).toBe(fault.length);
    expect(count(abnormal.subarray(0, normal.length))).toBe(0);
    // A third of the queries miss a cache and take four times as long, all the time: a mode of normal.
    expect(
      count(screenTraining(profiles(Array.from({ length: 1200 }, (_, i) => trace(i % 3 ? 1 : 4))))),
    ).toBe(0);
    // A slow period covering most of the window is a change of normal the window cannot judge.
    expect(count(screenTraining(profiles([...many(360), ...many(840, 4)])))).toBe(0);
  });

  it('so the fault seen again is flagged, normal traffic stays near the target rate, and it says how much it left out', async () => {
    // The fault in the middle fifth of the window.
    const window = [...many(960), ...many(480, 4), ...many(960)];
    const model = await trainModelSet(window, { forest: false, autoencoder: false });
    expect(model.manifest.metrics.screenedTraces).toBe(480);
    const recurrence = model.score(many(200, 4));
    expect(recurrence.filter((s) => s.anomalous).length).toBeGreaterThanOrEqual(190);
    const normal = model.score(many(1000));
    expect(normal.filter((s) => s.anomalous).length).toBeLessThanOrEqual(30);
  });
});
