/**
 * Index entries are members of lexicographic sorted sets (every score 0): `<fixed-width sort value>|<id>`.
 * Ordering by the member string orders by value and then by id, so a page boundary is one exact member and
 * keyset pagination has no ties to resolve, however many anomalies share a score of 1.
 */

export type Order = 'score' | 'time';

const SCORE_DIGITS = 16;
const TIME_WIDTH = 15;

/** A 0..1 score as `0.xxxxxxxxxxxxxxxx` / `1.0000000000000000`: equal width, so string order is numeric order. */
export function encodeScore(score: number): string {
  const s = Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
  return s.toFixed(SCORE_DIGITS);
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

export function valueOfMember(m: string): string {
  return m.slice(0, m.indexOf('|'));
}

/** Time as epoch ms, from a member of a by-time index. */
export function timeOfMember(m: string): number {
  return Number(valueOfMember(m));
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
