import { fromT } from '../detectors/baseline/log-sketch.js';
import type { MinuteBucket } from '../traffic/minute-buckets.js';
import {
  countsOf,
  mergeCounts,
  quantileTOf,
  robustSpread,
  rSquared,
  shareAboveT,
  trend,
  type Counts,
} from './robust.js';
import { median } from '../detectors/median.js';
import { rateTest, type RateTestOptions } from './rate-test.js';
import { MINUTE_US } from '../traffic/minute.js';
import type { Signal, SignalKind } from './signal.js';
import { TargetStat } from '../traffic/target-stat.js';

/**
 * Aggregate signals: each endpoint and edge against its own history of previous minutes. One set of
 * defaults serves every system; the minimum counts keep quiet targets from firing on 1 of 2.
 */
export interface SignalOptions extends RateTestOptions {
  /** Minutes of history a target's baseline looks back over. */
  historyMinutes: number;
  /** Minutes (with any traffic at all) that must precede a minute before it is judged. */
  minHistoryMinutes: number;
  /** Calls (traces for anomaly rates) a target needs in the minute judged. */
  minCalls: number;
  /** Errors, anomalous traces or slow calls a rate signal needs in the minute judged. */
  minEvents: number;
  /** Standard deviations (overdispersion included) above the baseline that make a signal. */
  z: number;
  /**
   * A rate must also double its baseline and exceed by this much (absolute) both the baseline and the rate
   * one history minute in ten reaches.
   */
  minLift: number;
  /** Latency shift: the baseline's quantile the minute's calls are compared with. */
  latencyQuantile: number;
  /** Latency growth: minutes fitted, points needed, calls per point. */
  growthWindow: number;
  growthMinPoints: number;
  growthMinCalls: number;
  /** Latency growth: monotonicity (Kendall's tau), fit (R^2) and growth over the window required. */
  growthMinTau: number;
  growthMinR2: number;
  growthMinFactor: number;
  /** Traffic: calls above the expected a jump needs, and how many times the expected it must reach. */
  trafficMinExcess: number;
  trafficFactor: number;
  /** Edges: calls per caller request (loops, retries) must reach this many times their usual. */
  fanOutFactor: number;
  /** A target with fewer than minCalls in the minute is also judged on this many minutes together. */
  quietPoolMinutes: number;
}

export const DEFAULT_SIGNAL_OPTIONS: SignalOptions = {
  historyMinutes: 60,
  minHistoryMinutes: 3,
  minCalls: 10,
  minEvents: 5,
  z: 5,
  minLift: 0.1,
  latencyQuantile: 0.95,
  growthWindow: 8,
  growthMinPoints: 6,
  growthMinCalls: 5,
  growthMinTau: 0.6,
  growthMinR2: 0.8,
  growthMinFactor: 2,
  trafficMinExcess: 20,
  trafficFactor: 2,
  fanOutFactor: 1.3,
  quietPoolMinutes: 3,
};

type TargetKind = Signal['target']['type'];

/** One target's minutes: the one judged and the history before it (undefined: no traffic that minute). */
interface Ctx {
  type: TargetKind;
  key: string;
  minute: number;
  cur: TargetStat;
  /** History minutes, oldest first, with their start (µs). */
  hist: (TargetStat | undefined)[];
  histMinutes: number[];
  o: SignalOptions;
  /** Minutes `cur` covers: 1, or the pooled minutes of a quiet target. */
  window: number;
}

const countsCache = new WeakMap<TargetStat, Counts>();
function counts(s: TargetStat): Counts {
  let c = countsCache.get(s);
  if (c === undefined) countsCache.set(s, (c = countsOf(s.latency)));
  return c;
}

/** Where the counts of a pooled (quiet) target come from, for the evidence. */
const over = (c: Ctx) => (c.window > 1 ? ` over the last ${c.window} minutes` : '');
const msOfT = (t: number) => fromT(t) / 1000;
const fmtMs = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

function signal(
  c: Ctx,
  kind: SignalKind,
  strength: number,
  value: number,
  baseline: number,
  evidence: string,
): Signal {
  return {
    kind,
    target: { type: c.type, key: c.key },
    minute: c.minute,
    ...(c.window > 1 ? { windowMinutes: c.window } : {}),
    strength,
    value,
    baseline,
    evidence,
  };
}

const active = (h: readonly (TargetStat | undefined)[]) => h.filter((s): s is TargetStat => s !== undefined);

/** A count that is a share of another (errors of calls, anomalous of traces), tested against its history. */
function rateSignal(
  c: Ctx,
  kind: 'error-rate' | 'anomaly-rate',
  part: 'errors' | 'anomalous',
  whole: 'calls' | 'traces',
  what: string,
): Signal | undefined {
  const h = active(c.hist);
  const r = rateTest(
    c.cur[part],
    c.cur[whole],
    h.map((s) => s[part]),
    h.map((s) => s[whole]),
    c.o,
  );
  if (!r) return undefined;
  const rate = c.cur[part] / c.cur[whole];
  return signal(
    c,
    kind,
    r.z / c.o.z,
    rate,
    r.p0,
    `${c.key}${over(c)}: ${c.cur[part]} of ${c.cur[whole]} ${what} (${pct(rate)}), against ${pct(r.p0)} over the previous ${h.length} minutes`,
  );
}

const errorRate = (c: Ctx) => rateSignal(c, 'error-rate', 'errors', 'calls', 'calls failed');
const anomalyRate = (c: Ctx) => rateSignal(c, 'anomaly-rate', 'anomalous', 'traces', 'traces anomalous');

/**
 * The history's usual p95: the median of its minutes' own p95s, so that a minority of slow minutes (a past
 * incident) does not move it; pooled over all minutes when too few are busy enough to have their own.
 */
function referenceT(h: readonly TargetStat[], o: SignalOptions): number {
  const busy = h.filter((s) => s.calls >= o.minCalls);
  if (busy.length >= o.minHistoryMinutes)
    return median(busy.map((s) => quantileTOf(counts(s), o.latencyQuantile)));
  return quantileTOf(mergeCounts(h.map(counts)), o.latencyQuantile);
}

/** Share of the minute's calls slower than the history's usual p95, tested like a rate. */
function latencyShift(c: Ctx): Signal | undefined {
  const h = active(c.hist);
  if (c.cur.calls < c.o.minCalls || h.length === 0) return undefined;
  const ref = referenceT(h, c.o);
  if (!Number.isFinite(ref)) return undefined;
  const cur = counts(c.cur);
  const k = c.cur.calls * shareAboveT(cur, ref);
  const r = rateTest(
    k,
    c.cur.calls,
    h.map((s) => s.calls * shareAboveT(counts(s), ref)),
    h.map((s) => s.calls),
    c.o,
  );
  if (!r) return undefined;
  const nowMs = msOfT(quantileTOf(cur, c.o.latencyQuantile));
  const refMs = msOfT(ref);
  const q = Math.round(100 * c.o.latencyQuantile);
  return signal(
    c,
    'latency-shift',
    r.z / c.o.z,
    nowMs,
    refMs,
    `${c.key}${over(c)}: ${pct(k / c.cur.calls)} of ${c.cur.calls} calls slower than the usual p${q} of ${fmtMs(refMs)} ms (${pct(r.p0)} normally); p${q} now ${fmtMs(nowMs)} ms`,
  );
}

/**
 * Exponential growth: log latency (the sketch's ln(1 + ms) scale) rising steadily along a line over the
 * recent window. A step (one fault switching on) is not steady: its points sit on two levels, and the
 * monotonicity and fit conditions turn it down.
 */
/** Largest share of a growth's total rise one minute-to-minute step may carry. */
const MAX_STEP_SHARE = 0.5;

function latencyGrowth(c: Ctx): Signal | undefined {
  const o = c.o;
  if (c.cur.calls < o.growthMinCalls) return undefined;
  const from = c.minute - (o.growthWindow - 1) * MINUTE_US;
  const x: number[] = [];
  const y: number[] = [];
  const before: number[] = [];
  c.hist.forEach((s, i) => {
    if (s === undefined || s.calls < o.growthMinCalls) return;
    const t = quantileTOf(counts(s), 0.5);
    if (c.histMinutes[i] >= from) {
      x.push((c.histMinutes[i] - c.minute) / MINUTE_US);
      y.push(t);
    } else before.push(t);
  });
  x.push(0);
  y.push(quantileTOf(counts(c.cur), 0.5));
  if (x.length < o.growthMinPoints) return undefined;
  const { slope, tau } = trend(x, y);
  const growth = slope * (x[x.length - 1] - x[0]);
  const need = Math.log(o.growthMinFactor);
  if (tau < o.growthMinTau || growth < need || rSquared(x, y) < o.growthMinR2) return undefined;
  // Growth is spread over the minutes; a step puts most of its rise between two of them.
  let maxRise = 0;
  for (let i = 1; i < y.length; i++) maxRise = Math.max(maxRise, y[i] - y[i - 1]);
  if (maxRise > MAX_STEP_SHARE * (Math.max(...y) - Math.min(...y))) return undefined;
  // Above where the target usually sits, when there is a before to compare with.
  const base = before.length >= o.minHistoryMinutes ? robustSpread(before) : undefined;
  const now = y[y.length - 1];
  if (base && now < base.median + Math.max(need, 3 * base.sigma)) return undefined;
  const baseMs = msOfT(base ? base.median : median(y.slice(0, 2)));
  const nowMs = msOfT(now);
  return signal(
    c,
    'latency-growth',
    Math.min(growth / need, tau / o.growthMinTau),
    nowMs,
    baseMs,
    `${c.key}: median latency growing exponentially, ${Math.exp(growth).toFixed(1)}x in ${x[x.length - 1] - x[0]} minutes (${(100 * (Math.exp(slope) - 1)).toFixed(0)}%/min), now ${fmtMs(nowMs)} ms against ${fmtMs(baseMs)} ms`,
  );
}

/** Calls per minute jumping above the history's (zero-traffic minutes count as 0). */
function volumeJump(c: Ctx): Signal | undefined {
  const o = c.o;
  const hist = c.hist.map((s) => s?.calls ?? 0);
  const { median: med, sigma } = robustSpread(hist);
  // Edges jump with the endpoints above them; only one that appears out of (almost) nothing is their own.
  if (c.type === 'edge' && med > 0) return undefined;
  const sd = Math.max(sigma, Math.sqrt(med), 1);
  const z = (c.cur.calls - med) / sd;
  if (z < o.z || c.cur.calls < o.trafficFactor * med || c.cur.calls - med < o.trafficMinExcess)
    return undefined;
  return signal(
    c,
    'traffic-jump',
    z / o.z,
    c.cur.calls,
    med,
    `${c.key}: ${c.cur.calls} calls this minute against a median of ${med} over the previous ${hist.length} minutes`,
  );
}

/** An edge's calls per caller request jumping (retries, N+1 loops), whatever the traffic above it does. */
function fanOutJump(c: Ctx): Signal | undefined {
  const o = c.o;
  if (c.type !== 'edge' || c.cur.callers < 1) return undefined;
  const h = active(c.hist).filter((s) => s.callers > 0);
  if (h.length < o.minHistoryMinutes) return undefined;
  const { median: med, sigma } = robustSpread(h.map((s) => s.calls / s.callers));
  const ratio = c.cur.calls / c.cur.callers;
  const expected = c.cur.callers * med;
  const z = (ratio - med) / Math.max(sigma, 0.05 * med, 1e-9);
  if (z < o.z || ratio < o.fanOutFactor * med || c.cur.calls - expected < o.trafficMinExcess)
    return undefined;
  return signal(
    c,
    'traffic-jump',
    z / o.z,
    c.cur.calls,
    expected,
    `${c.key}: ${ratio.toFixed(2)} calls per caller request against ${med.toFixed(2)} usually (${c.cur.calls} calls from ${c.cur.callers} requests)`,
  );
}

const DETECTORS = [errorRate, anomalyRate, latencyShift, latencyGrowth, volumeJump, fanOutJump];
/** Rates only: growth and traffic are per-minute shapes. */
const POOLED_DETECTORS = [errorRate, anomalyRate, latencyShift];

/**
 * Signals of every minute of `buckets` that has enough history before it (or only of minute `only`).
 * A minute must be complete (its traces all scored) before it is judged. Sorted by minute, then strength.
 */
export function detectSignals(
  buckets: readonly MinuteBucket[],
  options: Partial<SignalOptions> = {},
  only?: number,
): Signal[] {
  const o = { ...DEFAULT_SIGNAL_OPTIONS, ...options };
  const sorted = [...buckets].sort((a, b) => a.minute - b.minute);
  const minutes = sorted.map((b) => b.minute);
  const out: Signal[] = [];
  for (const type of ['endpoint', 'edge'] as const) {
    const series = new Map<string, (TargetStat | undefined)[]>();
    sorted.forEach((b, j) => {
      for (const [k, s] of b.targets(type)) {
        let a = series.get(k);
        if (a === undefined)
          series.set(k, (a = new Array<TargetStat | undefined>(sorted.length).fill(undefined)));
        a[j] = s;
      }
    });
    let lo = 0;
    for (let j = 0; j < sorted.length; j++) {
      const minute = minutes[j];
      while (minutes[lo] < minute - o.historyMinutes * MINUTE_US) lo++;
      if (only !== undefined && minute !== only) continue;
      if (j - lo < o.minHistoryMinutes) continue;
      const histMinutes = minutes.slice(lo, j);
      for (const [key, cur] of sorted[j].targets(type)) {
        const all = series.get(key)!;
        const c: Ctx = { type, key, minute, cur, hist: all.slice(lo, j), histMinutes, o, window: 1 };
        for (const d of DETECTORS) {
          const s = d(c);
          if (s) out.push(s);
        }
        // A quiet target is judged on its last few minutes together, against the history before them.
        if (cur.calls >= o.minCalls || o.quietPoolMinutes <= 1) continue;
        let k = j;
        while (k > lo && minutes[k - 1] > minute - o.quietPoolMinutes * MINUTE_US) k--;
        if (k === j || k - lo < o.minHistoryMinutes) continue;
        const pooled = new TargetStat();
        for (let i = k; i <= j; i++) if (all[i]) pooled.merge(all[i]!);
        const p: Ctx = {
          ...c,
          cur: pooled,
          hist: all.slice(lo, k),
          histMinutes: minutes.slice(lo, k),
          window: j - k + 1,
        };
        for (const d of POOLED_DETECTORS) {
          const s = d(p);
          if (s) out.push(s);
        }
      }
    }
  }
  return out.sort((a, b) => a.minute - b.minute || b.strength - a.strength);
}
