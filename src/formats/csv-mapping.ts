/**
 * How a span table's columns map onto span fields: the `--columns` syntax and its parser.
 *
 * Syntax: comma-separated `key=value` pairs.
 * - `<field>=<header>` for the fields in CSV_FIELDS, e.g. `traceId=TraceID,start=StartTimeUnixNano`;
 * - `attr.<name>=<header>` copies a column into the span's attributes under `<name>`;
 * - options: `startUnit`, `endUnit`, `durationUnit` (ns|us|ms|s, default us); `serviceStrip=N` drops the
 *   last N `-`-separated parts of the service (Kubernetes pod names to deployment names); `parentSep=;`
 *   says the parent column holds a list, the first being the parent and the rest links; `errorMatch=<regex>`
 *   marks a span failed when its statusMessage column matches (case-insensitive; no commas in the regex).
 * Required: traceId, spanId, and start or end.
 */

export const CSV_FIELDS = [
  'traceId',
  'spanId',
  'parentId',
  'service',
  'operation',
  'kind',
  'start',
  'end',
  'duration',
  'error',
  'statusCode',
  'statusMessage',
  'instance',
] as const;
export type CsvField = (typeof CSV_FIELDS)[number];

export const TIME_UNITS = { ns: 0.001, us: 1, ms: 1000, s: 1_000_000 } as const;
export type TimeUnit = keyof typeof TIME_UNITS;

export interface CsvMapping {
  fields: Partial<Record<CsvField, string>>;
  /** [attribute name, header]. */
  attrs: Array<[string, string]>;
  units: { start: TimeUnit; end: TimeUnit; duration: TimeUnit };
  serviceStrip: number;
  parentSep?: string;
  errorMatch?: RegExp;
}

export const COLUMNS_SYNTAX =
  '--columns "traceId=<col>,spanId=<col>,parentId=<col>,service=<col>,operation=<col>,start=<col>,' +
  'duration=<col>,startUnit=ns|us|ms|s,durationUnit=ns|us|ms|s,attr.<name>=<col>,..." ' +
  `(fields: ${CSV_FIELDS.join(', ')}; options: startUnit, endUnit, durationUnit, serviceStrip, parentSep, errorMatch)`;

function unitOf(key: string, v: string): TimeUnit {
  if (v in TIME_UNITS) return v as TimeUnit;
  throw new Error(`${key}=${v}: the unit must be one of ${Object.keys(TIME_UNITS).join(', ')}`);
}

/**
 * Parses a mapping string, on top of `base` when given (so `--preset nezha --columns service=Other` changes
 * one column of a preset). Throws an Error saying which pair is wrong.
 */
export function parseColumns(spec: string, base?: CsvMapping): CsvMapping {
  const m: CsvMapping = base
    ? { ...base, fields: { ...base.fields }, attrs: [...base.attrs], units: { ...base.units } }
    : { fields: {}, attrs: [], units: { start: 'us', end: 'us', duration: 'us' }, serviceStrip: 0 };
  for (const pair of spec.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`"${pair}" is not key=value`);
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '') throw new Error(`"${pair}" has no value`);
    if (key.startsWith('attr.') && key.length > 5) {
      m.attrs = m.attrs.filter(([name]) => name !== key.slice(5));
      m.attrs.push([key.slice(5), value]);
    } else if ((CSV_FIELDS as readonly string[]).includes(key)) m.fields[key as CsvField] = value;
    else if (key === 'startUnit') m.units.start = unitOf(key, value);
    else if (key === 'endUnit') m.units.end = unitOf(key, value);
    else if (key === 'durationUnit') m.units.duration = unitOf(key, value);
    else if (key === 'serviceStrip') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`serviceStrip=${value}: expected a whole number`);
      m.serviceStrip = n;
    } else if (key === 'parentSep') m.parentSep = value;
    else if (key === 'errorMatch') {
      try {
        m.errorMatch = new RegExp(value, 'i');
      } catch (err) {
        throw new Error(`errorMatch=${value}: ${(err as Error).message}`);
      }
    } else throw new Error(`unknown key "${key}"`);
  }
  return m;
}

/** What a mapping lacks to be usable, or undefined. */
export function mappingProblem(m: CsvMapping): string | undefined {
  if (!m.fields.traceId) return 'no traceId column';
  if (!m.fields.spanId) return 'no spanId column';
  if (!m.fields.start && !m.fields.end) return 'no start (or end) column';
  if (!m.fields.start && !m.fields.duration)
    return 'an end column needs a duration column when there is no start';
  return undefined;
}

/** Every header name a mapping reads. */
export function headersOf(m: CsvMapping): string[] {
  const out = new Set<string>();
  for (const f of CSV_FIELDS) if (m.fields[f]) out.add(m.fields[f]!);
  for (const [, h] of m.attrs) out.add(h);
  return [...out];
}

/**
 * A time or duration cell in µs; undefined for an empty cell, NaN when it is not a number or negative.
 * Nanosecond epochs exceed 2^53, so integer nanoseconds are cut to microseconds as text before converting.
 */
export function toMicros(cell: string, unit: TimeUnit): number | undefined {
  if (cell === '') return undefined;
  let digits = true;
  for (let i = 0; i < cell.length; i++) {
    const c = cell.charCodeAt(i);
    if (c < 48 || c > 57) {
      digits = false;
      break;
    }
  }
  if (digits) {
    if (unit === 'ns') return cell.length > 3 ? Number(cell.slice(0, -3)) : 0;
    return Number(cell) * TIME_UNITS[unit];
  }
  const n = Number(cell);
  if (!Number.isFinite(n) || n < 0 || cell.trim() === '') return NaN;
  return Math.round(n * TIME_UNITS[unit]);
}
