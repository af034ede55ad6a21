/** What a list row shows of a trace's first root cause: who, what kind, and its sentence. */
export function FirstCause(p: {
  cause?: { service: string; operation?: string; kind: string; evidence: string };
  /** Shown when there is no cause. */
  none: string;
}) {
  const rc = p.cause;
  if (!rc) return <span class="muted">{p.none}</span>;
  return (
    <>
      <b>
        {rc.service}
        {rc.operation ? `: ${rc.operation}` : ''}
      </b>{' '}
      <span class={`kind ${rc.kind}`}>{rc.kind}</span>
      <div class="evidence">{rc.evidence}</div>
    </>
  );
}
