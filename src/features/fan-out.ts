import type { Trace } from '../trace/trace.js';
import type { CallPathTable } from './call-paths.js';
import type { Interned } from './intern.js';
import { cmp } from './code-unit-order.js';

/** Parent-child span pairs that cross from one service to another, aggregated per service pair. */
export interface ServiceEdge {
  caller: string;
  callee: string;
  /** Child spans in `callee` whose parent is in `caller`. */
  calls: number;
  /** Of those, spans marked as errors. */
  errors: number;
  /** Summed duration of those child spans, µs. */
  totalDurationUs: number;
}

export interface FanOut {
  /** Most direct children of any one span. */
  maxChildren: number;
  /** Mean direct children over spans that have at least one (leaves would only dilute it). */
  meanChildren: number;
  /**
   * Most calls to one operation directly under one parent span (retries, N+1 queries); 1 when no
   * operation repeats, 0 for a trace without parent-child pairs.
   */
  maxRepeat: number;
  /** Per call path id: the most spans of that path under a single parent (top-level paths: 1). */
  repeatByPath: Int32Array;
  /** Parent-child pairs whose services differ. */
  crossServiceCalls: number;
  /** Sorted by caller, then callee. */
  edges: ServiceEdge[];
}

export function fanOut(trace: Trace, ids: Interned, paths: CallPathTable): FanOut {
  const { spans, children } = trace;
  const n = spans.length;
  const nPaths = paths.parent.length;
  const nServices = ids.services.length;
  const repeatByPath = new Int32Array(nPaths);
  const scratch = new Int32Array(nPaths); // per-parent counts, reset through the children list itself
  const edgeIndex = new Map<number, number>();
  const edges: ServiceEdge[] = [];
  let maxChildren = 0;
  let parents = 0;
  let pairs = 0;
  let maxRepeat = 0;
  let cross = 0;

  for (let i = 0; i < n; i++) {
    const kids = children[i];
    if (kids.length === 0) continue;
    parents++;
    pairs += kids.length;
    if (kids.length > maxChildren) maxChildren = kids.length;
    const from = ids.spanService[i];
    for (let k = 0; k < kids.length; k++) {
      const c = kids[k];
      const p = paths.spanPath[c];
      const count = ++scratch[p];
      if (count > repeatByPath[p]) repeatByPath[p] = count;
      if (count > maxRepeat) maxRepeat = count;
      const to = ids.spanService[c];
      if (to === from) continue;
      cross++;
      const ek = from * nServices + to;
      let e = edgeIndex.get(ek);
      if (e === undefined) {
        e = edges.length;
        edgeIndex.set(ek, e);
        edges.push({
          caller: ids.services[from],
          callee: ids.services[to],
          calls: 0,
          errors: 0,
          totalDurationUs: 0,
        });
      }
      const edge = edges[e];
      edge.calls++;
      if (spans[c].error) edge.errors++;
      edge.totalDurationUs += spans[c].duration;
    }
    for (let k = 0; k < kids.length; k++) scratch[paths.spanPath[kids[k]]] = 0;
  }
  for (let p = 0; p < nPaths; p++) if (paths.parent[p] < 0) repeatByPath[p] = 1;
  edges.sort((a, b) => cmp(a.caller, b.caller) || cmp(a.callee, b.callee));
  return {
    maxChildren,
    meanChildren: parents === 0 ? 0 : pairs / parents,
    maxRepeat,
    repeatByPath,
    crossServiceCalls: cross,
    edges,
  };
}
