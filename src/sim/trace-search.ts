/** Trace search over the live store, with the matching rules Jaeger's and Zipkin's stores use. */
import type { Span } from '../trace/span.js';
import type { LiveSim, LiveTrace } from './live.js';

export interface SpanFilter {
  service?: string;
  operation?: string;
  /** Span start window, µs. */
  startMin?: number;
  startMax?: number;
  /** Span duration bounds, µs. */
  durMin?: number;
  durMax?: number;
  /** Span or resource attributes that must match as text. */
  tags?: Record<string, string>;
  /** Zipkin's remoteServiceName: the peer of a client span. */
  remoteService?: string;
}

function spanMatches(s: Span, f: SpanFilter): boolean {
  if (f.service !== undefined && s.service !== f.service) return false;
  if (f.operation !== undefined && s.operation !== f.operation) return false;
  if (f.startMin !== undefined && s.start < f.startMin) return false;
  if (f.startMax !== undefined && s.start > f.startMax) return false;
  if (f.durMin !== undefined && s.duration < f.durMin) return false;
  if (f.durMax !== undefined && s.duration > f.durMax) return false;
  if (f.remoteService !== undefined && s.attributes['peer.service'] !== f.remoteService) return false;
  if (f.tags) {
    for (const k in f.tags) {
      const v = s.attributes[k] ?? s.resource[k] ?? (k === 'error' && s.error ? true : undefined);
      if (v === undefined || String(v) !== f.tags[k]) return false;
    }
  }
  return true;
}

/** Traces with at least one span matching the filter, newest first, at most `limit`. */
export function findTraces(live: LiveSim, f: SpanFilter, limit: number): LiveTrace[] {
  const out: LiveTrace[] = [];
  if (limit <= 0) return out;
  for (const t of live.newestFirst()) {
    if (f.startMax !== undefined && t.start > f.startMax) continue;
    if (f.startMin !== undefined && t.end < f.startMin) continue;
    if (t.spans.some((s) => spanMatches(s, f))) {
      out.push(t);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** Service names seen in the retained traces, sorted. */
export function services(live: LiveSim): string[] {
  const seen = new Set<string>();
  for (const t of live.newestFirst()) for (const s of t.spans) seen.add(s.service);
  return [...seen].sort();
}

/** Operations of a service with the kinds they were seen with, sorted by name. */
export function operations(live: LiveSim, service: string): { name: string; spanKind: string }[] {
  const seen = new Map<string, { name: string; spanKind: string }>();
  for (const t of live.newestFirst())
    for (const s of t.spans) {
      if (s.service !== service) continue;
      const k = `${s.operation}\u0000${s.kind}`;
      if (!seen.has(k)) seen.set(k, { name: s.operation, spanKind: s.kind });
    }
  return [...seen.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.spanKind.localeCompare(b.spanKind),
  );
}

/** Caller -> callee service call counts, from client spans whose server span is in the trace. */
export function dependencies(
  live: LiveSim,
  startMin: number,
  startMax: number,
): { parent: string; child: string; callCount: number }[] {
  const counts = new Map<string, number>();
  for (const t of live.newestFirst()) {
    if (t.start > startMax || t.end < startMin) continue;
    const byId = new Map(t.spans.map((s) => [s.spanId, s]));
    for (const s of t.spans) {
      const p = s.parentId !== undefined ? byId.get(s.parentId) : undefined;
      if (!p || p.service === s.service) continue;
      const k = `${p.service}\u0000${s.service}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return [...counts].map(([k, callCount]) => {
    const [parent, child] = k.split('\u0000');
    return { parent, child, callCount };
  });
}

export function lookup(live: LiveSim, rawId: string): LiveTrace | undefined {
  const id = rawId.toLowerCase();
  if (id.length <= 32 && /^[0-9a-f]+$/.test(id)) {
    const padded = id.padStart(32, '0');
    const hit = live.byId.get(padded);
    if (hit) return hit;
    // Zipkin clients may ask by the low 64 bits of a 128-bit id.
    if (id.length <= 16) {
      const low = id.padStart(16, '0');
      for (const t of live.newestFirst()) if (t.traceId.endsWith(low)) return t;
    }
  }
  return undefined;
}
