import type { TraceProfile } from '../../features/profile.js';
import type { Span } from '../../trace/span.js';
import type { Trace } from '../../trace/trace.js';

/**
 * What the baseline reads of a trace: span durations and errors, and the tree as parent links in pre-order.
 * A Trace is one; training hands in a compact view of each trace instead, so that it need not keep the
 * traces themselves (see scoring/train-data.ts).
 */
export interface BaselineTrace extends Pick<Trace, 'parent' | 'order'> {
  spans: readonly Pick<Span, 'duration' | 'error'>[];
}

/** What the baseline reads of a profile (a TraceProfile is one). */
export type BaselineProfile = Pick<
  TraceProfile,
  | 'endpoint'
  | 'callPaths'
  | 'networkHops'
  | 'orphans'
  | 'rootMissing'
  | 'rootSpan'
  | 'selfTimeUs'
  | 'spanCallPath'
>;
