import { describe, expect, it } from 'vitest';
import { rateTest } from '../../src/incidents/rate-test.js';
import { DEFAULT_SIGNAL_OPTIONS } from '../../src/incidents/history-signals.js';

const o = DEFAULT_SIGNAL_OPTIONS;
/** An hour of 200 calls a minute, 10 of them (5%) events, with `episodes` minutes raised to `rate` of calls. */
function hour(episodes: number[][], rate = 0.22) {
  const hk = Array.from({ length: 60 }, (_, i) => 8 + (i % 5));
  const hn = hk.map(() => 200);
  for (const run of episodes) for (const i of run) hk[i] = Math.round(rate * 200);
  return { hk, hn };
}
const run = (from: number, length: number) => Array.from({ length }, (_, i) => from + i);

describe('the rate a minute is judged against', () => {
  it('leaves one earlier episode out of the usual level: the same fault back 16 minutes later fires', () => {
    // Six minutes at 22%, 16 to 22 minutes ago; now 25% of the calls.
    const { hk, hn } = hour([run(38, 6)]);
    const r = rateTest(50, 200, hk, hn, o);
    expect(r?.reference).toBe('history');
    expect(r!.z).toBeGreaterThanOrEqual(o.z);
  });

  it('keeps episodes that recur as the usual level: a batch job every twenty minutes does not fire', () => {
    const { hk, hn } = hour([run(2, 3), run(22, 3), run(42, 3)]);
    expect(rateTest(50, 200, hk, hn, o)).toBeUndefined();
  });

  it('keeps bursts of single minutes as the usual level', () => {
    const bursts = [[5], [15], [25], [35], [45], [55]];
    expect(rateTest(50, 200, hour(bursts).hk, hour(bursts).hn, o)).toBeUndefined();
  });
});
