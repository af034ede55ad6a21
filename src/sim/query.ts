/** Query parameter parsing shared by the Jaeger and Zipkin routes of the live server. */
import { isoFromMicros } from '../trace/iso-time.js';

const UNIT_US: Record<string, number> = {
  ns: 1e-3,
  us: 1,
  µs: 1,
  μs: 1,
  ms: 1e3,
  s: 1e6,
  m: 60e6,
  h: 3600e6,
};

/** A Go duration string ("100ms", "1.2s", "1h30m") in µs; undefined when it does not parse. */
export function parseDurationUs(text: string): number | undefined {
  const s = text.trim();
  if (s === '' || s === '0') return s === '0' ? 0 : undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_US[m[2]];
    pos = re.lastIndex;
  }
  return pos === s.length && pos > 0 ? total : undefined;
}

/** RFC 3339 with up to nanosecond fractions, in µs since the epoch. */
export function parseRfc3339Us(text: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.parse(m[1] + m[3].toUpperCase());
  if (!Number.isFinite(ms)) return undefined;
  const frac = m[2] ? Math.floor(Number((m[2] + '000000').slice(0, 6))) : 0;
  return ms * 1000 + frac;
}

/** µs to RFC 3339 with microseconds. */
export function formatRfc3339Us(us: number): string {
  const iso = isoFromMicros(us);
  return `${iso.slice(0, 19)}.${String(Math.floor(us % 1e6)).padStart(6, '0')}Z`;
}

export class ParamError extends Error {}

export function intParam(name: string, v: unknown, def?: number): number | undefined {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new ParamError(`unable to parse param '${name}': ${JSON.stringify(v)} is not a number`);
  return Math.trunc(n);
}

export function durationParam(name: string, v: unknown): number | undefined {
  if (v === undefined || v === '') return undefined;
  const d = parseDurationUs(String(v));
  if (d === undefined)
    throw new ParamError(`unable to parse param '${name}': time: invalid duration ${JSON.stringify(v)}`);
  return d;
}

export function timeParam(name: string, v: unknown): number | undefined {
  if (v === undefined || v === '') return undefined;
  const t = parseRfc3339Us(String(v));
  if (t === undefined)
    throw new ParamError(`unable to parse param '${name}': ${JSON.stringify(v)} is not RFC 3339`);
  return t;
}

/** The first of several spellings of a query parameter (camelCase and snake_case of one name). */
export function pick(q: Record<string, unknown>, ...names: string[]): unknown {
  for (const n of names) {
    const v = q[n];
    if (v !== undefined) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}
