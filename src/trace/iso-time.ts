/**
 * µs since the epoch (every time in a Trace) as an ISO 8601 string, to the millisecond: what the scored
 * trace, incidents, topology and quality answers carry. One home so that every answer rounds the same way
 * (down to the millisecond, never up past the span's own start).
 */
export function isoFromMicros(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}

/** An ISO 8601 time (an incident's start or end) back to µs since the epoch. */
export function microsFromIso(iso: string): number {
  return Date.parse(iso) * 1000;
}
