/** What the rate test needs; the signal options carry them (see SignalOptions for their meaning). */
export interface RateTestOptions {
  minHistoryMinutes: number;
  minCalls: number;
  minEvents: number;
  z: number;
  minLift: number;
}

/**
 * A count of events among trials against the history's rate. The baseline rate is pooled over the history
 * minutes that would not have fired themselves (so a past incident does not raise it), and the variance is
 * the binomial one inflated by the overdispersion those minutes show (real traffic is burstier than coin
 * flips). Returns the z-score and baseline when the minute fires.
 */
export function rateTest(
  k: number,
  n: number,
  hk: readonly number[],
  hn: readonly number[],
  o: RateTestOptions,
): { z: number; p0: number } | undefined {
  if (n < o.minCalls || k < o.minEvents) return undefined;
  let K = 0;
  let N = 0;
  for (let i = 0; i < hn.length; i++) {
    K += hk[i];
    N += hn[i];
  }
  if (N < o.minCalls) return undefined;
  const p = (K + 0.5) / (N + 1);
  const keep = hn.map(
    (ni, i) =>
      !(
        hk[i] >= o.minEvents &&
        hk[i] / ni >= p + o.minLift &&
        (hk[i] - ni * p) / Math.sqrt(ni * p * (1 - p)) >= o.z
      ),
  );
  let K2 = 0;
  let N2 = 0;
  for (let i = 0; i < hn.length; i++)
    if (keep[i]) {
      K2 += hk[i];
      N2 += hn[i];
    }
  if (N2 < o.minCalls) return undefined;
  const p0 = (K2 + 0.5) / (N2 + 1);
  // Overdispersion from every history minute, each squared residual capped at z^2: recurring bursts (a
  // cron job, a periodic GC) widen the band so they stop firing, while one past incident cannot blow it up.
  let sum = 0;
  let m = 0;
  for (let i = 0; i < hn.length; i++)
    if (hn[i] > 0) {
      sum += Math.min(o.z * o.z, (hk[i] - hn[i] * p0) ** 2 / (hn[i] * p0 * (1 - p0)));
      m++;
    }
  const phi = Math.max(1, m > 0 ? sum / m : 1);
  const z = (k - n * p0) / Math.sqrt(phi * n * p0 * (1 - p0));
  const rate = k / n;
  if (z < o.z || rate < 2 * p0 || rate < Math.max(p0, usualHigh(hk, hn, o)) + o.minLift) return undefined;
  return { z, p0 };
}

/**
 * The rate busy history minutes reach one time in ten: a burst that recurs (a cron job every few minutes)
 * sits below it and stops firing; 0 when too few minutes are busy enough to say.
 */
function usualHigh(hk: readonly number[], hn: readonly number[], o: RateTestOptions): number {
  const rates: number[] = [];
  for (let i = 0; i < hn.length; i++) if (hn[i] >= o.minCalls) rates.push(hk[i] / hn[i]);
  if (rates.length < o.minHistoryMinutes) return 0;
  rates.sort((a, b) => a - b);
  return rates[Math.min(rates.length - 1, Math.floor(0.9 * rates.length))];
}
