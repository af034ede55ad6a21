import type { RawSpan } from '../span.js';
import { deriveSpanId } from '../ids.js';
import { flag, type AdjustContext } from './context.js';

/**
 * Two records are pieces of one span when they come from the same process (service and instance) and
 * either is exactly the other again, or one lacks its timing (Zipkin reporters flush a span's annotations
 * and its tags in separate records; a span reported twice arrives as two equal records).
 */
function samePiece(a: RawSpan, b: RawSpan): boolean {
  if (a.service !== b.service) return false;
  if (a.instance !== undefined && b.instance !== undefined && a.instance !== b.instance) return false;
  if (a.start === undefined || b.start === undefined) return true;
  return a.kind === b.kind && a.start === b.start && a.duration === b.duration && a.operation === b.operation;
}

/** Folds piece `b` into `a`: the richer kind, the wider timing, the union of what each knew. */
function merge(a: RawSpan, b: RawSpan): void {
  if (a.kind === 'internal' && b.kind !== 'internal') {
    a.kind = b.kind;
    a.operation = b.operation;
  }
  if (a.start === undefined || (b.start !== undefined && b.start < a.start)) {
    const aEnd = a.start !== undefined && a.duration !== undefined ? a.start + a.duration : undefined;
    a.start = b.start;
    if (aEnd !== undefined && a.start !== undefined) a.duration = Math.max(aEnd - a.start, b.duration ?? 0);
    else if (a.duration === undefined) a.duration = b.duration;
  } else if (a.duration === undefined) a.duration = b.duration;
  a.parentId ??= b.parentId;
  a.instance ??= b.instance;
  a.error ||= b.error;
  a.statusMessage ??= b.statusMessage;
  a.events += b.events;
  a.shared ||= b.shared;
  for (const k in b.attributes) if (!(k in a.attributes)) a.attributes[k] = b.attributes[k];
  for (const k in b.resource) if (!(k in a.resource)) a.resource[k] = b.resource[k];
}

/**
 * Makes span ids unique within a trace.
 * - Pieces of one span (see samePiece) are merged into one.
 * - Zipkin's shared spans (and Jaeger's client/server pairs with one id): the server half gets a new id
 *   and becomes the client half's child; children that ran in the server's service move under it.
 * - Any other clash: the later span gets a new id and keeps its parent.
 */
export function dedupeSpanIds(spans: RawSpan[], ctx: AdjustContext): RawSpan[] {
  // The common case, no clash, costs one map, which the later steps reuse as their span index.
  const first = new Map<string, number>();
  let clashes = false;
  for (let i = 0; i < spans.length; i++) {
    if (first.has(spans[i].spanId)) clashes = true;
    else first.set(spans[i].spanId, i);
  }
  if (!clashes) {
    ctx.index = first;
    return spans;
  }
  const byId = new Map<string, RawSpan[]>();
  for (const s of spans) {
    const group = byId.get(s.spanId);
    if (group) group.push(s);
    else byId.set(s.spanId, [s]);
  }

  const dropped = new Set<RawSpan>();
  const serverHalves = new Set<RawSpan>();
  const used = new Set(byId.keys());
  let merged = 0;
  let shared = 0;
  let renamed = 0;
  const freshId = (id: string): string => {
    for (let salt = 1; ; salt++) {
      const candidate = deriveSpanId(id, salt);
      if (!used.has(candidate)) {
        used.add(candidate);
        return candidate;
      }
    }
  };
  // Children to move under a renamed server half: old id -> (service -> new id).
  const moves = new Map<string, Map<string, string>>();

  for (const group of byId.values()) {
    if (group.length === 1) continue;
    const kept: RawSpan[] = [];
    for (const s of group) {
      const into = kept.find((k) => samePiece(k, s));
      if (into) {
        merge(into, s);
        dropped.add(s);
        merged++;
      } else kept.push(s);
    }
    if (kept.length === 1) continue;
    const client =
      kept.find((s) => s.kind === 'client' && !s.shared) ?? kept.find((s) => !s.shared) ?? kept[0];
    for (const s of kept) {
      if (s === client) continue;
      const oldId = s.spanId;
      s.spanId = freshId(oldId);
      flag(s, 'id-deduped');
      if (s.kind === 'server' || s.kind === 'consumer' || s.shared) {
        s.parentId = client.spanId;
        serverHalves.add(s);
        shared++;
        if (s.service !== client.service) {
          let m = moves.get(oldId);
          if (!m) moves.set(oldId, (m = new Map()));
          if (!m.has(s.service)) m.set(s.service, s.spanId);
        }
      } else renamed++;
    }
  }
  const out: RawSpan[] = [];
  for (const s of spans) {
    if (dropped.has(s)) continue;
    if (s.parentId !== undefined && !serverHalves.has(s)) {
      const target = moves.get(s.parentId)?.get(s.service);
      if (target !== undefined && target !== s.spanId) s.parentId = target;
    }
    out.push(s);
  }
  ctx.index = new Map(out.map((s, i) => [s.spanId, i]));
  if (merged) ctx.warn(`${merged} duplicate or partial span records merged`);
  if (shared) ctx.warn(`${shared} shared client/server span ids split`);
  if (renamed) ctx.warn(`${renamed} spans with a clashing id renamed`);
  return out;
}
