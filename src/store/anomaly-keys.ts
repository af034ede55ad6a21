import type { Anomaly } from './anomaly-record.js';
import { rankKey } from '../scoring/rank.js';
import { encodeRank, encodeTime, member, type Order } from './sort-key.js';

/**
 * Key layout of the anomaly store. Names inside keys are URI-encoded so a ':' in a service or operation
 * cannot make two endpoints share a key. Every key carries the hash tag `{anom}`: one write updates a
 * record and all its indexes in one Lua script, which a Redis Cluster allows only within one slot. The
 * store is bounded by retention, so one slot (one node) holds it.
 */
export const PREFIX = 'th:{anom}:';
/** id -> the index entries ("key\tmember" lines) a record sits in, so removal never needs the record itself. */
export const REFS_KEY = `${PREFIX}refs`;
/** Signature (see similarity) -> the largest surprise among anomalies of it marked false positive. */
export const FALSE_POSITIVE_KEY = `${PREFIX}fp-surprise`;

export type Dimension = 'svc' | 'ep' | 'rc';
export const NAME_SET: Record<Dimension, string> = {
  svc: `${PREFIX}names:svc`,
  ep: `${PREFIX}names:ep`,
  rc: `${PREFIX}names:rc`,
};

const RESERVED = new Set([
  'refs',
  'traffic',
  'fp-surprise',
  'names',
  'by-score',
  'by-rank',
  'by-time',
  'svc',
  'ep',
  'rc',
]);

/** Ids become key suffixes: anything that could collide with the index keys is refused. */
export function checkId(id: string): void {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id) || RESERVED.has(id))
    throw new Error(`anomaly id "${id}" is not valid (expected 1-128 of [A-Za-z0-9._-], e.g. a trace id)`);
}

export function recordKey(id: string): string {
  return PREFIX + id;
}

/**
 * Not an EndpointKey (src/trace/endpoint-key.ts): inside the store's own key names both parts are
 * URI-encoded, a layout older than that type and kept as stored.
 */
export function endpointName(service: string, operation: string): string {
  return `${encodeURIComponent(service)}:${encodeURIComponent(operation)}`;
}

export function parseEndpointName(name: string): { service: string; operation: string } {
  const i = name.indexOf(':');
  return { service: decodeURIComponent(name.slice(0, i)), operation: decodeURIComponent(name.slice(i + 1)) };
}

/** order=score reads `by-rank` (rank.ts); `by-score` held the bare 0..1 score before ranking had more fields. */
function suffix(order: Order): string {
  return order === 'score' ? 'by-rank' : 'by-time';
}

export function globalIndex(order: Order): string {
  return `${PREFIX}${suffix(order)}`;
}

/** `name` is already encoded (as the name sets hold it). */
export function dimIndex(dim: Dimension, name: string, order: Order): string {
  return `${PREFIX}${dim}:${name}:${suffix(order)}`;
}

export function serviceName(service: string): string {
  return encodeURIComponent(service);
}

export function timeMs(a: Pick<Anomaly, 'startTime'>): number {
  return Date.parse(a.startTime);
}

export interface IndexEntry {
  key: string;
  member: string;
}

/**
 * What makes two anomalies alike for feedback: the same endpoint and the same first root cause (service,
 * operation, kind). A false positive there says that this cause on this endpoint is normal for the system.
 */
export function similarity(a: Pick<Anomaly, 'service' | 'operation' | 'rootCauses'>): string {
  const c = a.rootCauses[0];
  const cause = c ? [c.kind, c.service, c.operation ?? ''].map(encodeURIComponent).join(':') : '-';
  return `${endpointName(a.service, a.operation)}|${cause}`;
}

/**
 * Every index entry of a record, and the names it adds to the name sets. `falseSurprise` is the surprise a
 * false positive like it reached (0 when none): an anomaly not confirmed by an engineer ranks by what it has
 * beyond that.
 */
export function indexEntries(
  a: Anomaly,
  falseSurprise = 0,
): { entries: IndexEntry[]; names: { set: string; name: string }[] } {
  const verdict = a.feedback?.verdict;
  const discount = verdict === 'true-positive' ? 0 : falseSurprise;
  const byScore = member(encodeRank(rankKey(a, discount), verdict === 'false-positive'), a.id);
  const byTime = member(encodeTime(timeMs(a)), a.id);
  const dims: [Dimension, string][] = [
    ['svc', serviceName(a.service)],
    ['ep', endpointName(a.service, a.operation)],
  ];
  for (const rc of new Set(a.rootCauses.map((c) => c.service))) dims.push(['rc', serviceName(rc)]);
  const entries: IndexEntry[] = [
    { key: globalIndex('score'), member: byScore },
    { key: globalIndex('time'), member: byTime },
  ];
  const names: { set: string; name: string }[] = [];
  for (const [dim, name] of dims) {
    entries.push({ key: dimIndex(dim, name, 'score'), member: byScore });
    entries.push({ key: dimIndex(dim, name, 'time'), member: byTime });
    names.push({ set: NAME_SET[dim], name });
  }
  return { entries, names };
}

export function formatRefs(entries: IndexEntry[]): string {
  return entries.map((e) => `${e.key}\t${e.member}`).join('\n');
}

export function parseRefs(refs: string | null): IndexEntry[] {
  if (!refs) return [];
  return refs.split('\n').map((line) => {
    const tab = line.indexOf('\t');
    return { key: line.slice(0, tab), member: line.slice(tab + 1) };
  });
}
