/** Human numbers for evidence sentences: a person should be able to compare them with a trace viewer. */

/** µs as ms or s with two or three significant digits: 0.35 ms, 3.2 ms, 840 ms, 1.84 s, 2.1 min. */
export function formatMs(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  const ms = us / 1000;
  const a = Math.abs(ms);
  if (a < 1) return `${ms.toFixed(2)} ms`;
  if (a < 10) return `${ms.toFixed(1)} ms`;
  if (a < 1000) return `${Math.round(ms)} ms`;
  if (a < 60_000) return `${(ms / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A share as a percentage with one decimal below 10%: 0.3%, 12%. */
export function formatPercent(share: number): string {
  const p = share * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  return p < 10 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}

/** Largest sample still told as a count ("36 of the 37"); beyond it a share reads more easily. */
const COUNT_UP_TO = 1000;

/**
 * How many of a normal sample, as a noun phrase: "all 37 normal traces", "36 of the 37 normal traces", "none
 * of the 37 normal traces", "97% of the 2400 normal traces". A share measured on a few traces must not read as
 * a law: 100% of 12 traces is 12 traces. Without a sample size (older models), the share alone.
 */
export function formatShareOf(share: number, sample: number | undefined, noun: string): string {
  if (sample === undefined || !(sample > 0)) return `${formatPercent(share)} of ${noun}`;
  const n = Math.round(sample);
  const count = Math.min(n, Math.max(0, Math.round(share * n)));
  if (count === n && n > 1) return `all ${n} ${noun}`;
  if (count === 0) return `none of the ${n} ${noun}`;
  if (n <= COUNT_UP_TO) return `${count} of the ${n} ${noun}`;
  const pct = share >= 0.995 ? 'over 99%' : formatPercent(share);
  return `${pct} of the ${n} ${noun}`;
}

/** A call count, with a decimal only when it is not whole (a median of counts can be). */
export function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function opName(service: string, operation: string): string {
  return `${service}:${operation}`;
}
