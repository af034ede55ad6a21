/** Per-trace and per-fault figures of the held-out run, overall and per fault kind. */
import { prAuc, rankingSummary, rocAuc, type RankingCase } from '../../../src/eval/metrics.js';
import type { FaultWindow } from '../model.js';
import type { FaultIncidentOutcome, IncidentOutcomes } from './incident-outcomes.js';

export interface TraceRecord {
  /** Fault kinds that changed the trace (empty: fault-free). */
  kinds: string[];
  faulty: boolean;
  /** Services any of which is the right first cause. */
  truth: string[];
  score: number;
  anomalous: boolean;
  /** Tracehound's services, most likely first (explain-all: every trace has them, or none if nothing deviates). */
  ranked: string[];
  zScore: number;
  zRanked: string[];
}

export interface DetectionFigures {
  positives: number;
  rocAuc: number | null;
  prAuc: number | null;
  /** Share of the positives flagged at the model's own threshold. */
  flagged: number;
  /** Share of the flagged positives at the top score of all flagged traces. */
  tiedAtTop: number;
  top1: number;
  top3: number;
  /** Faulty traces explain-all left without any cause. */
  noCause: number;
  zscoreRocAuc: number | null;
  zscoreTop1: number;
}

export interface KindFigures extends DetectionFigures {
  kind: string;
  windows: number;
  ownIncident: number;
  rootCauseFirst: number;
  medianOpenedAfterS: number | null;
}

export interface HeldoutResult {
  suite: 'heldout';
  seed: number;
  rate: number;
  counts: {
    trainTraces: number;
    testTraces: number;
    faulty: number;
    skipped: number;
    trainMinutes: number;
    testMinutes: number;
  };
  overall: DetectionFigures;
  /** Flagged share of fault-free test traces (the target is the trained false-positive rate, 1%). */
  falsePositiveRate: number;
  ties: {
    flagged: number;
    topScore: number | null;
    atTopScore: number;
    shareAtTop: number;
    shareTied: number;
  };
  byKind: KindFigures[];
  incidents: IncidentOutcomes;
  faults: FaultWindow[];
  seconds: Record<string, number>;
}

const cases = (rs: readonly TraceRecord[], which: 'ranked' | 'zRanked'): RankingCase[] =>
  rs.map((r) => ({ ranked: r[which], truth: r.truth }));

function auc(
  f: typeof rocAuc,
  pos: readonly TraceRecord[],
  neg: readonly TraceRecord[],
  key: 'score' | 'zScore',
) {
  if (pos.length === 0 || neg.length === 0) return null;
  return f(
    [...pos.map((r) => r[key]), ...neg.map((r) => r[key])],
    [...pos.map(() => true), ...neg.map(() => false)],
  );
}

function detectionOf(
  pos: readonly TraceRecord[],
  neg: readonly TraceRecord[],
  topScore: number | null,
): DetectionFigures {
  const rca = rankingSummary(cases(pos, 'ranked'), [1, 3]);
  const flagged = pos.filter((r) => r.anomalous);
  return {
    positives: pos.length,
    rocAuc: auc(rocAuc, pos, neg, 'score'),
    prAuc: auc(prAuc, pos, neg, 'score'),
    flagged: pos.length ? flagged.length / pos.length : 0,
    tiedAtTop: flagged.length ? flagged.filter((r) => r.score === topScore).length / flagged.length : 0,
    top1: rca.top[1],
    top3: rca.top[3],
    noCause: pos.filter((r) => r.ranked.length === 0).length,
    zscoreRocAuc: auc(rocAuc, pos, neg, 'zScore'),
    zscoreTop1: rankingSummary(cases(pos, 'zRanked'), [1]).top[1],
  };
}

/** Flagged traces sharing the highest score, and sharing any score with another flagged trace. */
function tiesOf(rs: readonly TraceRecord[]): HeldoutResult['ties'] {
  const flagged = rs.filter((r) => r.anomalous).map((r) => r.score);
  if (flagged.length === 0) return { flagged: 0, topScore: null, atTopScore: 0, shareAtTop: 0, shareTied: 0 };
  const top = Math.max(...flagged);
  const seen = new Map<number, number>();
  for (const s of flagged) seen.set(s, (seen.get(s) ?? 0) + 1);
  const atTop = seen.get(top)!;
  const tied = flagged.filter((s) => seen.get(s)! > 1).length;
  return {
    flagged: flagged.length,
    topScore: top,
    atTopScore: atTop,
    shareAtTop: atTop / flagged.length,
    shareTied: tied / flagged.length,
  };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1];
}

function kindFigures(
  kind: string,
  rs: readonly TraceRecord[],
  neg: readonly TraceRecord[],
  inc: FaultIncidentOutcome[],
  topScore: number | null,
): KindFigures {
  const mine = inc.filter((o) => o.kind === kind);
  return {
    kind,
    windows: mine.length,
    ...detectionOf(
      rs.filter((r) => r.kinds.includes(kind)),
      neg,
      topScore,
    ),
    ownIncident: mine.filter((o) => o.own).length,
    rootCauseFirst: mine.filter((o) => o.rootCauseFirst).length,
    medianOpenedAfterS: median(mine.flatMap((o) => (o.openedAfterS === null ? [] : [o.openedAfterS]))),
  };
}

export function summarize(
  records: readonly TraceRecord[],
  incidents: IncidentOutcomes,
  run: Pick<HeldoutResult, 'seed' | 'rate' | 'faults' | 'seconds'> & {
    counts: Omit<HeldoutResult['counts'], 'faulty'>;
  },
): HeldoutResult {
  const pos = records.filter((r) => r.faulty);
  const neg = records.filter((r) => !r.faulty);
  const kinds = [...new Set(run.faults.map((f) => f.kind))];
  const ties = tiesOf(records);
  return {
    suite: 'heldout',
    seed: run.seed,
    rate: run.rate,
    counts: { ...run.counts, faulty: pos.length },
    overall: detectionOf(pos, neg, ties.topScore),
    falsePositiveRate: neg.filter((r) => r.anomalous).length / Math.max(1, neg.length),
    ties,
    byKind: kinds.map((k) => kindFigures(k, records, neg, incidents.faults, ties.topScore)),
    incidents,
    faults: run.faults,
    seconds: run.seconds,
  };
}
