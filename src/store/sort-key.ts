import type { RankKey } from '../scoring/rank.js';

/**
 * Index entries are members of lexicographic sorted sets (every score 0): `<fixed-width sort value>|<id>`.
 * Ordering by the member string orders by value and then by id, so a page boundary is one exact member and
 * keyset pagination has no ties to resolve.
 */

export type Order = 'score' | 'time';

const TIME_WIDTH = 15;

/** Field widths of a rank value; each field is capped at its width (far beyond anything real). */
const RANK_WIDTHS = { decibans: 8, errors: 6, addedUs: 13, surpriseMicro: 16 } as const;

function fixed(n: number, width: number): string {
  const cap = 10 ** width - 1;
  const v = Number.isFinite(n) ? Math.min(cap, Math.max(0, Math.floor(n))) : 0;
  return String(v).padStart(width, '0');
}

/**
 * The by-score index value: `<tier>.<decibans>.<errors>.<added µs>.<surprise × 1e6>`, every field fixed width,
 * so string order is the order of rank.ts. Tier 0 holds anomalies an engineer marked false positive: below
 * every other, whatever their surprise.
 */
export function encodeRank(k: RankKey, markedFalse: boolean): string {
  return [
    markedFalse ? '0' : '1',
    fixed(k.decibans, RANK_WIDTHS.decibans),
    fixed(k.errors, RANK_WIDTHS.errors),
    fixed(k.addedMs * 1000, RANK_WIDTHS.addedUs),
    fixed(k.surprise * 1e6, RANK_WIDTHS.surpriseMicro),
  ].join('.');
}

/** Epoch milliseconds, zero-padded (good until the year 33658). */
export function encodeTime(ms: number): string {
  const t = Number.isFinite(ms) ? Math.max(0, Math.floor(ms)) : 0;
  return String(t).padStart(TIME_WIDTH, '0');
}

export function member(value: string, id: string): string {
  return `${value}|${id}`;
}

export function idOfMember(m: string): string {
  return m.slice(m.indexOf('|') + 1);
}

/** The opaque cursor: which order it belongs to and the last member a page covered. */
export function encodeCursor(order: Order, lastMember: string): string {
  return Buffer.from(`${order}\n${lastMember}`, 'utf8').toString('base64url');
}

/** A query the store cannot answer as asked; `param` names the offending parameter. */
export class QueryError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

export class CursorError extends QueryError {
  constructor(message: string) {
    super('cursor', message);
  }
}

export function decodeCursor(cursor: string, order: Order): string {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const nl = text.indexOf('\n');
  if (nl < 0) throw new CursorError('cursor is not one this API returned');
  const o = text.slice(0, nl);
  const m = text.slice(nl + 1);
  if (o !== 'score' && o !== 'time') throw new CursorError('cursor is not one this API returned');
  if (o !== order) throw new CursorError(`cursor belongs to order=${o}, not order=${order}`);
  if (m.indexOf('|') < 0) throw new CursorError('cursor is not one this API returned');
  return m;
}
