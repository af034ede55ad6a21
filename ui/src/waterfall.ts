import { endpointKey } from '../../src/trace/endpoint-key.js';
import type { Anomaly } from './api.js';

type Span = NonNullable<Anomaly['spans']>[number];
type RootCause = Anomaly['rootCauses'][number];

/** One waterfall row: a span, its depth in the call tree, its call path, and the root causes that name it. */
export interface Row {
  span: Span;
  depth: number;
  /** The call path as the server keys it (`svc:op>svc:op`, `?>` first under a missing parent). */
  path: string;
  causes: { rank: number; cause: RootCause }[];
}

/** A root cause names a span when service matches and, where it says them, operation and instance too. */
export function names(cause: RootCause, s: Span): boolean {
  return (
    cause.service === s.service &&
    (cause.operation === undefined || cause.operation === s.operation) &&
    (cause.instance === undefined || cause.instance === s.instance)
  );
}

/**
 * The spans in call-tree order (each parent before its children, siblings by start), with their depth.
 * A span whose parent is not in the trace starts a tree of its own, so nothing is dropped.
 */
export function waterfallRows(spans: Span[], causes: RootCause[]): Row[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, Span[]>();
  for (const s of spans) {
    const p = s.parentId && ids.has(s.parentId) && s.parentId !== s.spanId ? s.parentId : undefined;
    let c = children.get(p);
    if (!c) children.set(p, (c = []));
    c.push(s);
  }
  for (const c of children.values()) c.sort((a, b) => a.start - b.start);
  const rows: Row[] = [];
  const seen = new Set<string>();
  const visit = (s: Span, depth: number, above: string) => {
    if (seen.has(s.spanId)) return; // a cycle in bad data must not loop forever
    seen.add(s.spanId);
    const named = causes.map((cause, i) => ({ rank: i + 1, cause })).filter((c) => names(c.cause, s));
    const path = above + hop(s);
    rows.push({ span: s, depth, path, causes: named });
    for (const c of children.get(s.spanId) ?? []) visit(c, depth + 1, path + '>');
  };
  for (const root of children.get(undefined) ?? []) visit(root, 0, root.parentId ? '?>' : '');
  return rows;
}

/**
 * The root causes that name no span of the trace: a call it was expected to make and did not (a structure
 * cause names the missing callee), or a service whose span was lost. The waterfall lists them after the spans.
 */
export function absentCauses(spans: Span[], causes: RootCause[]): { rank: number; cause: RootCause }[] {
  return causes
    .map((cause, i) => ({ rank: i + 1, cause }))
    .filter((c) => !spans.some((s) => names(c.cause, s)));
}

/** One hop of a call path: the span's endpoint key, as the path keys of the compare rows are built. */
function hop(s: Span): string {
  return endpointKey(s.service, s.operation);
}

/** Round tick steps (1, 2, 5 × 10^n µs) giving about `count` ticks over `span` µs. */
export function ticks(spanUs: number, count = 5): number[] {
  if (spanUs <= 0) return [0];
  const raw = spanUs / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= spanUs + 1e-9; t += step) out.push(t);
  return out;
}
