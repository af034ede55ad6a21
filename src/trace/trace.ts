import type { Span } from './span.js';

/**
 * A normalized trace: spans indexed as a tree. Indices refer to `spans`.
 * Built once, read by every later layer, so the derived indexes live here and nowhere else.
 */
export interface Trace {
  traceId: string;
  spans: Span[];
  /** Index of each span's parent in `spans`, -1 for a root or an orphan. */
  parent: Int32Array;
  /** Children of each span, ordered by start time. */
  children: number[][];
  /** Spans with no parent in the trace (the root and the orphans), ordered by start time. */
  roots: number[];
  /** The trace's root span: the span without a parentId, or the earliest top-level span when it is missing. */
  root: number;
  /** Spans whose parentId names a span that is not in the trace. */
  orphans: number[];
  /** Depth of each span (a top-level span has depth 0). */
  depth: Int32Array;
  maxDepth: number;
  /** Spans in pre-order (parents before children), for iterative walks. */
  order: Int32Array;
  /** Earliest start and latest end over all spans, µs. */
  start: number;
  end: number;
  /** True when no span is a true root (parentId absent): the real root was not collected. */
  rootMissing: boolean;
  warnings: string[];
}

function byStart(spans: Span[]) {
  // Ties broken by span id with a plain comparison: locale-independent and cheap.
  return (a: number, b: number) => {
    const d = spans[a].start - spans[b].start;
    if (d !== 0) return d;
    const x = spans[a].spanId;
    const y = spans[b].spanId;
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

/**
 * Indexes spans (already adjusted: unique ids, no cycles) as a tree. Iterative: a trace
 * 10k levels deep must not overflow the stack. `index` (span id -> position) when the caller has one.
 */
export function buildTrace(
  traceId: string,
  spans: Span[],
  warnings: string[] = [],
  index: Map<string, number> = new Map(spans.map((s, i) => [s.spanId, i])),
): Trace {
  const n = spans.length;

  const parent = new Int32Array(n).fill(-1);
  const children: number[][] = new Array(n);
  for (let i = 0; i < n; i++) children[i] = [];
  const roots: number[] = [];
  const orphans: number[] = [];
  let trueRoots = 0;
  for (let i = 0; i < n; i++) {
    const pid = spans[i].parentId;
    if (pid === undefined) {
      roots.push(i);
      trueRoots++;
      continue;
    }
    const p = index.get(pid);
    if (p === undefined || p === i) {
      roots.push(i);
      orphans.push(i);
    } else {
      parent[i] = p;
      children[p].push(i);
    }
  }
  const cmp = byStart(spans);
  for (let i = 0; i < n; i++) if (children[i].length > 1) children[i].sort(cmp);
  roots.sort(cmp);

  // Pre-order walk with an explicit stack.
  const depth = new Int32Array(n);
  const order = new Int32Array(n);
  let k = 0;
  let maxDepth = 0;
  const stack: number[] = [];
  for (let r = roots.length - 1; r >= 0; r--) stack.push(roots[r]);
  while (stack.length > 0) {
    const i = stack.pop()!;
    order[k++] = i;
    const d = parent[i] < 0 ? 0 : depth[parent[i]] + 1;
    depth[i] = d;
    if (d > maxDepth) maxDepth = d;
    const c = children[i];
    for (let j = c.length - 1; j >= 0; j--) stack.push(c[j]);
  }
  if (k !== n)
    throw new Error(`trace ${traceId}: parent references form a cycle (run the cycle adjuster first)`);

  let start = Infinity;
  let end = -Infinity;
  for (const s of spans) {
    if (s.start < start) start = s.start;
    if (s.start + s.duration > end) end = s.start + s.duration;
  }
  if (n === 0) start = end = 0;

  // The root: the true root when there is one (the earliest if several), else the earliest top-level span.
  let root = -1;
  for (const r of roots) {
    if (spans[r].parentId === undefined) {
      root = r;
      break;
    }
  }
  if (root < 0 && roots.length > 0) root = roots[0];

  return {
    traceId,
    spans,
    parent,
    children,
    roots,
    root,
    orphans,
    depth,
    maxDepth,
    order,
    start,
    end,
    rootMissing: n > 0 && trueRoots === 0,
    warnings,
  };
}

/** The root span's service and operation: a trace's endpoint. */
export function endpointOf(trace: Trace): { service: string; operation: string } {
  const r = trace.spans[trace.root];
  return r ? { service: r.service, operation: r.operation } : { service: 'unknown', operation: 'unknown' };
}
