import type { BaselineModel } from '../detectors/baseline/model.js';
import { extractProfile, type CallPathStats, type TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';
import { cmp } from '../features/code-unit-order.js';

export const DIFF_KINDS = ['error', 'slower', 'missing', 'new', 'faster'] as const;
export type DiffKind = (typeof DIFF_KINDS)[number];

/**
 * One difference between a trace and a normal one, per call path. Times in ms. `this` and `normal` are the
 * path's self time (summed over its spans: the time spent in the call itself, not in what it called), so
 * a slow callee shows on its own row and not on every caller above it.
 */
export interface DiffRow {
  /** The call path (`svc:op>svc:op>…`), the same key the model keeps its statistics under. */
  path: string;
  service: string;
  operation: string;
  kind: DiffKind;
  this: number;
  normal: number;
  /** Summed span durations of the path (with what they called): what a missing or new call cost. */
  thisDuration: number;
  normalDuration: number;
  thisCalls: number;
  normalCalls: number;
  thisErrors: number;
  normalErrors: number;
  /** p50 and p99 of one span's self time on this path in the model's training traffic, when known. */
  normalP50?: number;
  normalP99?: number;
  /** missing/new: call paths below this one that are missing (new) with it, folded into this row. */
  below?: number;
  /**
   * missing/new, with a model of the endpoint: the share of its training traces that make this call. Near 1
   * for a missing call, or near 0 for a new one, is a real change; in between, the call is optional.
   */
  normalShare?: number;
}

export interface CompareOptions {
  /** The endpoint's model: each row gets its path's normal self-time range. */
  baseline?: BaselineModel;
  /** Profiles when the caller has them (saves extracting them again). */
  thisProfile?: TraceProfile;
  normalProfile?: TraceProfile;
  /**
   * A path present in both is slower or faster when its self time differs by at least the largest of:
   * `relative` of the normal's self time, `share` of the longer root duration, `minUs`, and, with a model,
   * the path's own normal spread (p99 − p50 of one call, times √calls, as the jitter of n calls' sum grows
   * with √n). Smaller differences are the jitter any two normal traces show, and would bury the rows that
   * matter: a call that normally takes 7 to 31 ms taking 12 ms here and 7 ms there is no finding.
   */
  relative?: number;
  share?: number;
  minUs?: number;
}

/** Errors first (they fail the request), then added time, then changed structure, then time saved. */
const ORDER: Record<DiffKind, number> = { error: 0, slower: 1, missing: 2, new: 3, faster: 4 };

/**
 * What differs between `thisTrace` and `normal`, a normal trace of the same endpoint, call path by call
 * path: self time beyond jitter (slower, faster), paths only the normal has (missing) or only this one
 * has (new), folded to the topmost such path, and paths with more error spans than the normal's (error;
 * listed beside the path's other row, since a call can be both new and failing). Sorted by kind in the
 * order of DIFF_KINDS, then by how much each row matters: missing and new calls by how rarely normal
 * traffic does without them (or makes them), then time added or saved, errors, the call's cost.
 * Pure: reads the traces and the model, changes nothing.
 */
export function compareTraces(thisTrace: Trace, normal: Trace, opts: CompareOptions = {}): DiffRow[] {
  const a = opts.thisProfile ?? extractProfile(thisTrace);
  const b = opts.normalProfile ?? extractProfile(normal);
  const relative = opts.relative ?? 0.25;
  const share = opts.share ?? 0.01;
  const minUs = opts.minUs ?? 100;
  const longest = Math.max(a.rootDurationUs, b.rootDurationUs);
  const inA = new Map(a.callPaths.map((p) => [p.key, p]));
  const inB = new Map(b.callPaths.map((p) => [p.key, p]));
  const summary = (p: CallPathStats) => {
    const s = opts.baseline?.pathStats(a.endpoint.key, p.key, p.service, p.operation)?.selfSummary;
    return s && s.n > 0 ? s : undefined;
  };
  const population = opts.baseline?.endpointModel(a.endpoint.key);
  const presence = (p: CallPathStats) =>
    population && population.traces > 0
      ? { normalShare: (population.paths.get(p.key)?.traces ?? 0) / population.traces }
      : {};
  const range = (p: CallPathStats) => {
    const s = summary(p);
    return s ? { normalP50: ms(s.p50Us), normalP99: ms(s.p99Us) } : {};
  };
  const row = (kind: DiffKind, p: CallPathStats, mine?: CallPathStats, theirs?: CallPathStats): DiffRow => ({
    path: p.key,
    service: p.service,
    operation: p.operation,
    kind,
    this: ms(mine?.selfTimeUs ?? 0),
    normal: ms(theirs?.selfTimeUs ?? 0),
    thisDuration: ms(mine?.totalDurationUs ?? 0),
    normalDuration: ms(theirs?.totalDurationUs ?? 0),
    thisCalls: mine?.count ?? 0,
    normalCalls: theirs?.count ?? 0,
    thisErrors: mine?.errors ?? 0,
    normalErrors: theirs?.errors ?? 0,
    ...range(p),
  });

  const rows: DiffRow[] = [];
  for (const p of a.callPaths) {
    const n = inB.get(p.key);
    if (p.errors > (n?.errors ?? 0)) rows.push(row('error', p, p, n));
    if (!n) {
      // Only the topmost new path gets a row: everything it called is new because it is.
      if (p.parent < 0 || inB.has(a.callPaths[p.parent].key))
        rows.push({ ...row('new', p, p, undefined), below: below(a, p, inB), ...presence(p) });
      continue;
    }
    const delta = p.selfTimeUs - n.selfTimeUs;
    const s = summary(p);
    const spread = s ? (s.p99Us - s.p50Us) * Math.sqrt(Math.max(p.count, n.count)) : 0;
    if (Math.abs(delta) >= Math.max(minUs, relative * n.selfTimeUs, share * longest, spread))
      rows.push(row(delta > 0 ? 'slower' : 'faster', p, p, n));
  }
  for (const p of b.callPaths)
    if (!inA.has(p.key) && (p.parent < 0 || inA.has(b.callPaths[p.parent].key)))
      rows.push({ ...row('missing', p, undefined, p), below: below(b, p, inA), ...presence(p) });

  return rows.sort(
    (x, y) =>
      ORDER[x.kind] - ORDER[y.kind] ||
      unusual(y) - unusual(x) ||
      weight(y) - weight(x) ||
      cmp(x.path, y.path),
  );
}

/** missing/new: how unusual the change is (a missing call normal traffic always makes: 1); else 0. */
function unusual(r: DiffRow): number {
  if (r.normalShare === undefined) return 0;
  return r.kind === 'missing' ? r.normalShare : r.kind === 'new' ? 1 - r.normalShare : 0;
}

/** How much a row matters within its kind (after how unusual it is). */
function weight(r: DiffRow): number {
  switch (r.kind) {
    case 'error':
      return r.thisErrors - r.normalErrors;
    case 'slower':
      return r.this - r.normal;
    case 'faster':
      return r.normal - r.this;
    case 'missing':
      return r.normalDuration;
    case 'new':
      return r.thisDuration;
  }
}

/** Paths of `profile` under `top` (at any depth) that `other` lacks too; all of them do, as `top` is absent. */
function below(profile: TraceProfile, top: CallPathStats, other: ReadonlyMap<string, unknown>): number {
  const idx = profile.callPaths.indexOf(top);
  const under = new Set([idx]);
  let n = 0;
  // Parents come before their children in callPaths, so one forward pass finds every descendant.
  for (let i = idx + 1; i < profile.callPaths.length; i++) {
    const p = profile.callPaths[i];
    if (under.has(p.parent) && !other.has(p.key)) {
      under.add(i);
      n++;
    }
  }
  return n;
}

const ms = (us: number) => us / 1000;
