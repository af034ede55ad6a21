/**
 * The median (the mean of the two middle values for an even count; NaN for none) and the factor that turns a
 * median absolute deviation into a normal's standard deviation: the robust centre and spread the training
 * screen (scoring/screen.ts) and the incident signals (incidents/robust.ts, window-causes.ts) share.
 */
export const MAD_SCALE = 1.4826;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
