/**
 * How rarely normal traffic looks as unusual as a trace: the calibrated score saturates at 1.00 for every
 * strong anomaly (so a ranked list would read 1.00, 1.00, 1.00), while its surprise (-log10 of that tail
 * probability, what `order=score` ranks by) keeps growing. Shown only where the score no longer tells
 * anomalies apart.
 */
export function Rarity(props: { surprise?: number; score: number }) {
  const s = props.surprise;
  if (s === undefined || !Number.isFinite(s) || props.score < 0.99) return null;
  return (
    <span
      class="rarity"
      title="how often normal traffic looks at least this unusual (all detectors combined)"
    >
      1 in{' '}
      {s < 6 ? (
        Math.round(10 ** s).toLocaleString('en-US')
      ) : (
        <>
          10<sup>{Math.floor(s)}</sup>
        </>
      )}
    </span>
  );
}
