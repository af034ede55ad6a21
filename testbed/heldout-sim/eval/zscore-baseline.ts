/**
 * The yardstick: a robust z-score per call path, about sixty lines. Each span is keyed by its call
 * path (root -> ... -> service:operation); training keeps the median and MAD of log self time per path. A
 * trace scores its largest z; a span where an error starts (no child failed) or a path never seen scores
 * high. Services are ranked by their largest z. Written here, not imported, so the yardstick owes nothing to
 * the code it measures.
 */
import type { Trace } from '../../../src/trace/trace.js';

const ERROR_Z = 12;
const UNSEEN_Z = 8;
const MIN_SCALE = 0.05;

/** Self time of every span: its duration less the union of its children's intervals. */
function selfTimes(t: Trace): Float64Array {
  const out = new Float64Array(t.spans.length);
  t.spans.forEach((s, i) => {
    const end = s.start + s.duration;
    let covered = 0;
    let reach = s.start;
    for (const c of t.children[i]) {
      const cs = Math.max(t.spans[c].start, reach);
      const ce = Math.min(t.spans[c].start + t.spans[c].duration, end);
      if (ce > cs) covered += ce - cs;
      reach = Math.max(reach, ce);
    }
    out[i] = Math.max(0, s.duration - covered);
  });
  return out;
}

function paths(t: Trace): string[] {
  const out: string[] = new Array(t.spans.length);
  for (const i of t.order) {
    const me = `${t.spans[i].service}:${t.spans[i].operation}`;
    out[i] = t.parent[i] < 0 ? me : `${out[t.parent[i]]}>${me}`;
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export class ZScoreBaseline {
  private readonly stats = new Map<string, { median: number; scale: number }>();

  constructor(training: readonly Trace[]) {
    const samples = new Map<string, number[]>();
    for (const t of training) {
      const self = selfTimes(t);
      paths(t).forEach((p, i) => (samples.get(p) ?? samples.set(p, []).get(p)!).push(Math.log1p(self[i])));
    }
    for (const [p, xs] of samples) {
      const m = median(xs);
      this.stats.set(p, {
        median: m,
        scale: Math.max(MIN_SCALE, 1.4826 * median(xs.map((x) => Math.abs(x - m)))),
      });
    }
  }

  /** The trace's score (its largest z) and its services, most suspect first. */
  score(t: Trace): { score: number; ranked: string[] } {
    const self = selfTimes(t);
    const best = new Map<string, number>();
    paths(t).forEach((p, i) => {
      const st = this.stats.get(p);
      let z = st ? (Math.log1p(self[i]) - st.median) / st.scale : UNSEEN_Z;
      const s = t.spans[i];
      if (s.error && !t.children[i].some((c) => t.spans[c].error)) z = Math.max(z, ERROR_Z);
      if (z > (best.get(s.service) ?? -Infinity)) best.set(s.service, z);
    });
    const ranked = [...best.entries()].sort((a, b) => b[1] - a[1]);
    return { score: ranked[0]?.[1] ?? 0, ranked: ranked.map(([svc]) => svc) };
  }
}
