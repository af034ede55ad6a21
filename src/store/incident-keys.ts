import { encodeTime, member } from './sort-key.js';

/**
 * Key layout of the incident store. Every key carries the hash tag `{inc}`: an upsert moves a record
 * between status indexes in one Lua script, which a Redis Cluster allows only within one slot. Incidents
 * are few (a handful a day) and bounded by retention, so one slot holds them easily.
 */
export const INC_PREFIX = 'th:{inc}:';
/** id -> `revision\tindex member`: the revision guard, and the member to remove without reading the record. */
export const REV_KEY = `${INC_PREFIX}rev`;
/** Lexicographic sorted sets (score 0) of `<start ms>|<id>`. */
export const BY_START_KEY = `${INC_PREFIX}by-start`;
export const statusKey = (status: 'open' | 'resolved'): string => `${INC_PREFIX}status:${status}`;
/** The incident job's state (tracker, notification bookkeeping), one JSON string. */
export const STATE_KEY = `${INC_PREFIX}state`;
/**
 * Acknowledgements and resolves asked for through the API, a list of JSON objects: the incident job owns
 * the open incidents' state, so it applies them, under its lock (see incident-actions.ts).
 */
export const ACTIONS_KEY = `${INC_PREFIX}actions`;
/** Single-flight lock of the incident job. */
export const LOCK_KEY = `${INC_PREFIX}lock`;

export function incidentKey(id: string): string {
  return `${INC_PREFIX}rec:${id}`;
}

/** Ids become key suffixes and index members. */
export function checkIncidentId(id: string): void {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id))
    throw new Error(`incident id "${id}" is not valid (expected 1-128 of [A-Za-z0-9._-])`);
}

export function startMember(startIso: string, id: string): string {
  return member(encodeTime(Date.parse(startIso)), id);
}

/**
 * Per-minute shift evidence lives under its own tag: every scoring batch writes it, and keeping it off the
 * incident records' slot spreads that write load in a cluster. One hash per minute (epoch minutes), one
 * field per scoring batch.
 */
export const EVIDENCE_PREFIX = 'th:{incev}:min:';
export const evidenceKey = (minuteUs: number): string => `${EVIDENCE_PREFIX}${Math.floor(minuteUs / 60e6)}`;
/** The trace ids a minute's evidence has counted (see count-once.ts). */
export const evidenceCountedKey = (minuteUs: number): string =>
  `th:{incev}:counted:${Math.floor(minuteUs / 60e6)}`;
