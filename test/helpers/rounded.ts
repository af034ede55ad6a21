/**
 * `x` as JSON with every number to 10 significant digits: floating sums added in another order differ in the
 * last bits, while counts must match exactly.
 */
export const rounded = (x: unknown): unknown =>
  JSON.parse(JSON.stringify(x), (_, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(10)) : v));
