/**
 * The serialized baseline's shape, and its check. Written out rather than a zod schema: every `score` run
 * reads a baseline, and loading zod cost the CLI ~60 ms of its ~300 ms start-up. The check is as strict as
 * the schema it replaced (numbers finite, counts non-negative, unknown keys dropped), and its errors name
 * the offending field the same way (`endpoints.2.paths.0.self.c.3: ...`).
 */

export const BASELINE_FORMAT = 'tracehound-baseline';
export const BASELINE_VERSION = 1;

interface SketchJson {
  o: number;
  c: number[];
}

interface PathJson {
  key: string;
  parent: string | null;
  service: string;
  operation: string;
  traces: number;
  spans: number;
  errorSpans: number;
  errorOrigins: number;
  self: SketchJson;
  dur: SketchJson;
  counts: Array<[number, number]>;
}

interface GapJson {
  key: string;
  client: string;
  server: string;
  traces: number;
  sketch: SketchJson;
}

export interface PopulationJson {
  key: string;
  traces: number;
  orphanTraces: number;
  rootMissingTraces: number;
  paths: PathJson[];
  gaps: GapJson[];
  edges: Array<[string, number]>;
}

export interface BaselineModelJson {
  format: typeof BASELINE_FORMAT;
  version: typeof BASELINE_VERSION;
  options: {
    minEndpointTraces: number;
    minPathSamples: number;
    trimFraction: number;
    topK: number;
    zOffset: number;
    rareFrequency: number;
    frequencyWeight: number;
    scaleFloor: number;
    tailSpread: boolean;
    maxEvidence: number;
  };
  pooled: PopulationJson;
  endpoints: PopulationJson[];
}

/** A value that does not have the shape; `path` is dotted, array indices included (`paths.0.self`). */
export class ShapeError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || '(root)'}: ${problem}`);
  }
}

type Obj = Record<string, unknown>;

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const at = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ShapeError(path, `expected object, received ${describe(v)}`);
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new ShapeError(path, `expected array, received ${describe(v)}`);
  return v;
}

function str(v: unknown, path: string, nonEmpty = false): string {
  if (typeof v !== 'string') throw new ShapeError(path, `expected string, received ${describe(v)}`);
  if (nonEmpty && v.length === 0) throw new ShapeError(path, 'expected a non-empty string');
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ShapeError(path, `expected a finite number, received ${describe(v)}`);
  return v;
}

function count(v: unknown, path: string): number {
  const n = num(v, path);
  if (n < 0) throw new ShapeError(path, `expected a number >= 0, received ${n}`);
  return n;
}

function index(v: unknown, path: string): number {
  const n = count(v, path);
  if (!Number.isInteger(n)) throw new ShapeError(path, `expected an integer, received ${n}`);
  return n;
}

function pair<A, B>(
  v: unknown,
  path: string,
  a: (v: unknown, p: string) => A,
  b: (v: unknown, p: string) => B,
) {
  const t = arr(v, path);
  if (t.length !== 2) throw new ShapeError(path, `expected a pair, received ${t.length} items`);
  return [a(t[0], at(path, 0)), b(t[1], at(path, 1))] as [A, B];
}

function list<T>(v: unknown, path: string, item: (v: unknown, p: string) => T): T[] {
  const a = arr(v, path);
  const out: T[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = item(a[i], at(path, i));
  return out;
}

function sketch(v: unknown, path: string): SketchJson {
  const o = obj(v, path);
  return { o: index(o.o, at(path, 'o')), c: list(o.c, at(path, 'c'), count) };
}

function pathJson(v: unknown, p: string): PathJson {
  const o = obj(v, p);
  const parent = o.parent === null ? null : str(o.parent, at(p, 'parent'));
  return {
    key: str(o.key, at(p, 'key'), true),
    parent,
    service: str(o.service, at(p, 'service')),
    operation: str(o.operation, at(p, 'operation')),
    traces: count(o.traces, at(p, 'traces')),
    spans: count(o.spans, at(p, 'spans')),
    errorSpans: count(o.errorSpans, at(p, 'errorSpans')),
    errorOrigins: count(o.errorOrigins, at(p, 'errorOrigins')),
    self: sketch(o.self, at(p, 'self')),
    dur: sketch(o.dur, at(p, 'dur')),
    counts: list(o.counts, at(p, 'counts'), (c, cp) => pair(c, cp, index, count)),
  };
}

function gapJson(v: unknown, p: string): GapJson {
  const o = obj(v, p);
  return {
    key: str(o.key, at(p, 'key'), true),
    client: str(o.client, at(p, 'client')),
    server: str(o.server, at(p, 'server')),
    traces: count(o.traces, at(p, 'traces')),
    sketch: sketch(o.sketch, at(p, 'sketch')),
  };
}

function populationJson(v: unknown, p: string): PopulationJson {
  const o = obj(v, p);
  return {
    key: str(o.key, at(p, 'key'), true),
    traces: count(o.traces, at(p, 'traces')),
    orphanTraces: count(o.orphanTraces, at(p, 'orphanTraces')),
    rootMissingTraces: count(o.rootMissingTraces, at(p, 'rootMissingTraces')),
    paths: list(o.paths, at(p, 'paths'), pathJson),
    gaps: list(o.gaps, at(p, 'gaps'), gapJson),
    edges: list(o.edges, at(p, 'edges'), (e, ep) => pair(e, ep, str, count)),
  };
}

const NUMERIC_OPTIONS = [
  'minEndpointTraces',
  'minPathSamples',
  'trimFraction',
  'topK',
  'zOffset',
  'rareFrequency',
  'frequencyWeight',
  'scaleFloor',
  'maxEvidence',
] as const;

function optionsJson(v: unknown, p: string): BaselineModelJson['options'] {
  const o = obj(v, p);
  const out = {} as BaselineModelJson['options'];
  for (const k of NUMERIC_OPTIONS) out[k] = num(o[k], at(p, k));
  // Absent from models saved before the option existed: they keep the spread their calibrators were fit on.
  if (o.tailSpread !== undefined && typeof o.tailSpread !== 'boolean')
    throw new ShapeError(at(p, 'tailSpread'), `expected boolean, received ${describe(o.tailSpread)}`);
  out.tailSpread = o.tailSpread ?? false;
  return out;
}

/** The model's fields, checked; throws a ShapeError naming the first field that is wrong. */
export function checkModelJson(v: unknown): BaselineModelJson {
  const o = obj(v, '');
  if (o.format !== BASELINE_FORMAT)
    throw new ShapeError('format', `expected "${BASELINE_FORMAT}", received ${JSON.stringify(o.format)}`);
  if (o.version !== BASELINE_VERSION)
    throw new ShapeError('version', `expected ${BASELINE_VERSION}, received ${JSON.stringify(o.version)}`);
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    options: optionsJson(o.options, 'options'),
    pooled: populationJson(o.pooled, 'pooled'),
    endpoints: list(o.endpoints, 'endpoints', populationJson),
  };
}
