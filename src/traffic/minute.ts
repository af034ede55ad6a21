/** The unit of every aggregate: a minute, in µs since the epoch like every time in a Trace. */
export const MINUTE_US = 60_000_000;

/** The start of the minute `us` falls in. */
export const minuteOf = (us: number): number => Math.floor(us / MINUTE_US) * MINUTE_US;
